package lib

import "testing"

func TestGreet(t *testing.T) {
	if got := Greet("api"); got != "hello from api" {
		t.Fatalf("Greet(api) = %q", got)
	}
}
