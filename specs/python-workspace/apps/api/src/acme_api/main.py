"""Serves the core's greeting over HTTP; `acme-api --once` prints it and exits."""

import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

import humanize
from acme_core import greeting


def answer() -> str:
    """The body of every response."""
    return f"{greeting('api')} ({humanize.naturalsize(2048)})\n"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = answer().encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    if "--once" in sys.argv[1:]:
        sys.stdout.write(answer())
        return
    HTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
