from acme_core import greeting


def test_greeting():
    assert greeting(None) == "hello, world"
    assert greeting("uv") == "hello, uv"
