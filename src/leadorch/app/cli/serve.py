"""`leadorch serve`: the HTTP API (webhooks, chat, admin, console).

Graceful shutdown: on SIGTERM/SIGINT uvicorn stops accepting connections and lets the requests in flight
finish for up to `GRACEFUL_SHUTDOWN_SECONDS`; then the embedded worker (no `REDIS_URL`) finishes its jobs
in flight, and only then are the clients and the database closed.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

GRACEFUL_SHUTDOWN_SECONDS = 20


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("serve", help="run the HTTP API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API processes sharing the port, each with its own inbox writer (more than 1 needs REDIS_URL)",
    )
    parser.add_argument("--fd", type=int, default=None, help=argparse.SUPPRESS)  # a --workers child's socket
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from leadorch.app.background import start_api_background
    from leadorch.app.bootstrap import bootstrap
    from leadorch.app.cli import CliError
    from leadorch.app.cli.listen import bind_listener, bound_port
    from leadorch.app.cli.worker import close_after_runtime
    from leadorch.app.crm_health import start_crm_checks
    from leadorch.app.http.app import create_app
    from leadorch.app.observability.logging import configure_logging
    from leadorch.app.settings import load_settings

    settings = load_settings()
    # Logging first: the warnings bootstrap writes (stand-ins, checks) are JSON lines like the rest.
    configure_logging(settings.log_level, json_lines=settings.log_json)
    if args.workers < 1:
        raise CliError(f"--workers must be at least 1, not {args.workers}")
    if args.workers > 1 and not settings.redis_url:
        raise CliError(
            "--workers above 1 needs REDIS_URL: without Redis each process would run its own worker"
        )
    # A --workers child inherits its parent's socket; otherwise bind first: a bad or taken port is one line.
    listener = socket.socket(fileno=args.fd) if args.fd is not None else bind_listener(args.host, args.port)
    if args.workers > 1:
        return _run_processes(args, listener)
    container = bootstrap(settings, sends_messages=True)
    start_crm_checks(container)  # unknown location ids, webhooks in error: logged, on /ready
    runtime = start_api_background(container)
    app = create_app(container)
    print(
        f"leadorch: serving on http://{args.host}:{bound_port(listener)} "
        "(health: /health, API schema: /schema/openapi.json)",
        flush=True,
    )
    server = _Server(
        uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
    )
    server.run(sockets=[listener])
    log.info("API stopped: no request in flight")
    close_after_runtime(container, runtime)
    return 0


def _run_processes(args: argparse.Namespace, listener: socket.socket) -> int:
    """`--workers N`: N `serve` children on the one socket bound here (the kernel spreads connections);
    each has its own container, so its own inbox writer and pools. A SIGTERM is passed to every child,
    each ends in its own close order, and the exit is 0 only if every child's is."""
    import subprocess
    import sys

    argv = [
        sys.executable,
        "-m",
        "leadorch.app.cli",
        "serve",
        "--host",
        args.host,
        "--fd",
        str(listener.fileno()),
    ]
    children = [subprocess.Popen(argv, pass_fds=[listener.fileno()]) for _ in range(args.workers)]
    print(f"leadorch: {args.workers} API processes on port {listener.getsockname()[1]}", flush=True)

    def forward(sig: int, _frame: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(sig)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    codes = [child.wait() for child in children]
    listener.close()
    return 0 if all(code == 0 for code in codes) else 1


def _server_class() -> type:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, except that a SIGTERM ends in our close order and exit 0: uvicorn re-raises
        the signal once it has stopped serving, which killed the process (143) before the embedded
        worker, the clients and the database were closed."""

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()

    return Server


def _Server(config: Any) -> Any:
    return _server_class()(config)
