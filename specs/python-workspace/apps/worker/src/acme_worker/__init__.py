"""The worker service: prints the core's greeting."""

from acme_core import greeting


def main() -> None:
    print(greeting("worker"))
