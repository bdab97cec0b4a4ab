"""alliance-explore's command line: bad options are refused before anything starts."""

import pytest

from experiments.explore.serve import parse


def test_defaults_listen_on_localhost():
    args = parse([])
    assert (args.host, args.port, args.workers) == ("localhost", 8765, None)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "0"], "--port 0: allowed: 1 to 65535"),
        (["--port", "70000"], "--port 70000: allowed: 1 to 65535"),
        (["--workers", "0"], "--workers 0: allowed: 1 or more"),
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
