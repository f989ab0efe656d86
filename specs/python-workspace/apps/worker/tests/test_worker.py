from acme_worker import main


def test_main(capsys):
    main()
    assert capsys.readouterr().out == "hello, worker\n"
