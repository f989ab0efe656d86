package greet

import "testing"

func TestHello(t *testing.T) {
	if got := Hello(""); got != "hello, world\n" {
		t.Fatalf("Hello(\"\") = %q", got)
	}
	if got := Hello("msbc"); got != "hello, msbc\n" {
		t.Fatalf("Hello(\"msbc\") = %q", got)
	}
}
