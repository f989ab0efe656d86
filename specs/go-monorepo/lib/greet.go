// Package lib is what the shop's binaries share.
package lib

import "fmt"

// Greet says hello from one of the shop's binaries.
func Greet(who string) string {
	return fmt.Sprintf("hello from %s", who)
}
