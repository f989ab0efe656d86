from acme_api.main import answer


def test_answer():
    assert answer() == "hello, api (2.0 kB)\n"
