"""An HTTP hello: a small Flask app, installed as a package."""

from flask import Flask, request

app = Flask(__name__)


def hello(name: str | None) -> str:
    """The greeting the app answers with."""
    return f"hello, {name or 'world'}\n"


@app.get("/")
def index():
    return hello(request.args.get("name")), 200, {"Content-Type": "text/plain; charset=utf-8"}


@app.get("/healthz")
def healthz():
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
