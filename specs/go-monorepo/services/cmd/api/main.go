// The shop's HTTP api on :8080; `api -health` checks a running one.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"

	"example.com/shop/lib"
)

func main() {
	health := flag.Bool("health", false, "check the running api and exit")
	flag.Parse()
	if *health {
		resp, err := http.Get("http://127.0.0.1:8080/health")
		if err != nil || resp.StatusCode != http.StatusOK {
			os.Exit(1)
		}
		fmt.Println("healthy")
		return
	}
	http.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, lib.Greet("api"))
	})
	log.Fatal(http.ListenAndServe(":8080", nil))
}
