// The shop's queue worker: no port, no health endpoint.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"example.com/shop/lib"
)

func main() {
	queue := flag.String("queue", "", "the queue to work on")
	once := flag.Bool("once", false, "one pass, then exit")
	flag.Parse()
	for {
		fmt.Printf("%s: queue=%s poll=%ss\n", lib.Greet("worker"), *queue, os.Getenv("POLL_SECONDS"))
		if *once {
			return
		}
		time.Sleep(5 * time.Second)
	}
}
