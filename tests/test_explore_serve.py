"""alliance-explore's command line: bad options are refused before anything starts."""

import pytest

from experiments.explore.serve import parse


def test_defaults_listen_on_localhost():
    args = parse([])
    assert (args.host, args.port, args.workers) == ("localhost", 8765, None)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "0"], "--port 0; allowed: 1 to 65535"),
        (["--port", "70000"], "--port 70000; allowed: 1 to 65535"),
        (["--workers", "0"], "--workers 0; allowed: 1 or more"),
        (["--port", "x"], "invalid int value: 'x'"),
    ],
)
def test_a_bad_option_is_refused_with_the_allowed_values(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_port_in_use_gets_one_line_and_exit_1(tmp_path):
    import socket

    from .conftest import cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli(
            "alliance-explore", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            cwd=tmp_path,
        )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"alliance-explore: could not listen on 127.0.0.1:{port} (in use?)"
    )
    assert "open http" not in result.stdout


def test_the_served_names_are_local_unless_another_address_is_given():
    from experiments.explore.serve import served_hosts

    assert served_hosts("localhost", []) == ["localhost", "127.0.0.1", "::1", "[::1]"]
    assert served_hosts("127.0.0.1", ["explore.example.org"])[-1] == "explore.example.org"
    assert "10.1.2.3" in served_hosts("10.1.2.3", [])
    assert "evil.example" not in served_hosts("0.0.0.0", [])


def test_a_request_for_another_host_name_is_refused(tmp_path):
    """DNS rebinding: a page of evil.example resolves its name to 127.0.0.1."""
    import socket
    import subprocess
    import time
    import urllib.error
    import urllib.request

    from .conftest import BIN

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(BIN / "alliance-explore"), "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert "open http" in server.stdout.readline()

        def status(host: str) -> int:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": host})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        deadline = time.monotonic() + 30
        while status(f"127.0.0.1:{port}") != 200:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert status(f"localhost:{port}") == 200
        assert status(f"evil.example:{port}") == 400
        assert status("evil.example") == 400
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()


def test_it_answers_version_like_every_tool(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("alliance-explore (alliance-premium) ")
