"""What the services share: the greeting."""


def greeting(name: str | None) -> str:
    """The greeting every service answers with."""
    return f"hello, {name or 'world'}"
