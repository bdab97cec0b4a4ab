"""`alliance-explore`: start the explorer's web server and print its address.

    alliance-explore                  # http://localhost:8765
    alliance-explore --port 9000 --host 0.0.0.0

The server answers only requests addressed to the names it serves (the `Host`
header): `localhost`, `127.0.0.1` and `::1` when it listens on localhost; the
`--host` given and this machine's names otherwise; plus any `--allowed-host`. A
page of another site that points its own name at this machine (DNS rebinding)
gets "Invalid host header". The address is printed once the server listens.
The worker processes start, and import the model, while the server starts, so
the first page waits for nothing but the model. The interactive figures' script
(plotly.js, from the installed `plotly` package) is served by the server itself,
so the page needs no internet access. A port in use gives one line and
exit 1. Ctrl-C stops the server and its workers, says so in one line and exits
130; the workers also die with the server if it is killed outright.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import warnings

from experiments.process.commandline import Parser


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = Parser(
        prog="alliance-explore",
        description="Explore fund strategies against the no-fund world, in the browser:\n"
        "the figures a decision needs, strategies side by side, a link to share.",
        examples=[
            "alliance-explore                      # then open http://localhost:8765",
            "alliance-explore --port 9000 --workers 1",
        ],
        docs=("README.md (The explorer, in the browser)", "docs/explorer.md"),
    )
    parser.add_argument("--host", default="localhost", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on")
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: every core)"
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another name the browser may use for this server (repeatable; *.example.org)",
    )
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"--port {args.port}; allowed: 1 to 65535")
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers {args.workers}; allowed: 1 or more")
    return args


LOCAL_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")


def served_hosts(host: str, extra: list[str]) -> list[str]:
    """The `Host` header names the server answers.

    Args:
        host: The address it listens on (`--host`).
        extra: Names given with `--allowed-host`.

    Returns:
        The local names for a local address; else the address itself, and for an
        address of every interface (`0.0.0.0`, `::`) this machine's names and
        addresses too.
    """
    import socket

    names = list(LOCAL_NAMES)
    if host not in LOCAL_NAMES:
        names.append(f"[{host}]" if ":" in host else host)
    if host in ("0.0.0.0", "::", ""):
        names += [socket.gethostname(), socket.getfqdn()]
        try:
            names += socket.gethostbyname_ex(socket.gethostname())[2]  # its addresses
        except OSError:
            pass
    return list(dict.fromkeys([*names, *extra]))


def main(argv: list[str] | None = None) -> None:
    """Start the explorer."""
    args = parse(argv)
    # Solara reads these when its server module is imported: the app, a production
    # page (no hot reload), and no telemetry (these machines may have no internet).
    os.environ["SOLARA_APP"] = "experiments.explore.app"
    os.environ["SOLARA_MODE"] = "production"
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    # No "This website runs on Solara" badge: it covered the figures' x-axes.
    os.environ["SOLARA_THEME_SHOW_BANNER"] = "False"
    os.environ["SERVER_NAME"] = args.host
    os.environ["SERVER_PORT"] = str(args.port)
    os.environ.setdefault("MPLBACKEND", "Agg")
    # Served over plain http on a non-localhost name, Solara warns at every page that
    # its cookie falls back to samesite=lax: expected here, so not shown.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    import solara.server.starlette
    import uvicorn
    from starlette.concurrency import run_in_threadpool
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.requests import Request
    from starlette.responses import FileResponse, Response
    from starlette.routing import Route

    from experiments.explore import compute, plots

    async def download(request: Request) -> Response:
        key = request.path_params["key"]
        data = await run_in_threadpool(compute.shared().download, key)
        if data is None:
            msg = "not computed in this session: change a control, then download again"
            return Response(msg, status_code=404, media_type="text/plain")
        disposition = f'attachment; filename="alliance-explore-{key}.nc"'
        return Response(
            data, media_type="application/x-netcdf", headers={"Content-Disposition": disposition}
        )

    script = plots.javascript()

    async def plotly_js(request: Request) -> Response:
        if script is None:
            return Response("plotly is not installed", status_code=404, media_type="text/plain")
        headers = {"Cache-Control": "public, max-age=86400"}
        return FileResponse(script, media_type="text/javascript", headers=headers)

    # Before Solara's catch-all page route, so /download/... and the script reach them.
    routes = solara.server.starlette.app.router.routes
    routes.insert(0, Route("/download/{key}.nc", download))
    routes.insert(0, Route(plots.SCRIPT_URL, plotly_js))
    solara.server.starlette.app.add_middleware(
        TrustedHostMiddleware, allowed_hosts=served_hosts(args.host, args.allowed_host)
    )

    explorer = compute.Explorer(args.workers)
    compute.set_shared(explorer)
    threading.Thread(target=compute.warm_compositions, name="warm", daemon=True).start()
    server = uvicorn.Server(
        uvicorn.Config(
            "solara.server.starlette:app", host=args.host, port=args.port, log_level="critical"
        )
    )
    url = f"http://{args.host}:{args.port}"

    def announce() -> None:  # once it listens, so the address answers when opened
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            print(f"alliance-explore: open {url} in a browser (Ctrl-C stops it)", flush=True)

    threading.Thread(target=announce, name="announce", daemon=True).start()
    hide_interrupted_start()
    try:
        server.run()
    except SystemExit:  # uvicorn's way of saying it could not start
        pass
    finally:
        explorer.close()
    if not server.started:
        msg = f"alliance-explore: could not listen on {args.host}:{args.port} (in use?)"
        print(msg, file=sys.stderr)
        sys.exit(1)


STOPPED = "alliance-explore: stopped (Ctrl-C); the server and its workers have ended"


def hide_interrupted_start() -> None:
    """Keep a Ctrl-C during uvicorn's start to the one line `entry` prints.

    `uvicorn.Server.run` creates its `serve()` coroutine before the event loop runs
    it; a Ctrl-C in between leaves the coroutine unawaited, and Python warns of it
    (with a hint about tracemalloc) as the interrupt unwinds. Nothing was lost: the
    server had not started.
    """
    warnings.filterwarnings(
        "ignore", message="coroutine 'Server.serve' was never awaited", category=RuntimeWarning
    )


def entry() -> None:
    """Console-script entry point: Ctrl-C, while starting or serving, prints one line, exit 130.

    Uvicorn takes Ctrl-C while it serves, shuts the server down, then raises the
    signal again once its own handler is gone: it arrives here as
    `KeyboardInterrupt` after `main` has closed the workers.
    """
    try:
        main()
    except KeyboardInterrupt:
        print(STOPPED, file=sys.stderr, flush=True)
        sys.exit(130)


if __name__ == "__main__":
    entry()
