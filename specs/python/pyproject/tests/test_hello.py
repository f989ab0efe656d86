from hello_pip import app, hello


def test_hello():
    assert hello(None) == "hello, world\n"
    assert hello("pip") == "hello, pip\n"


def test_routes():
    client = app.test_client()
    assert client.get("/?name=msbc").text == "hello, msbc\n"
    assert client.get("/healthz").status_code == 200
