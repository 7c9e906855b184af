"""`leadorch serve`: the HTTP API (webhooks, chat, admin, console).

Graceful shutdown: on SIGTERM/SIGINT uvicorn stops accepting connections and lets the requests in flight
finish for up to `GRACEFUL_SHUTDOWN_SECONDS`; then the embedded worker (no `REDIS_URL`) finishes its jobs
in flight, and only then are the clients and the database closed.
"""

from __future__ import annotations

import argparse
import logging
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

GRACEFUL_SHUTDOWN_SECONDS = 20


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("serve", help="run the HTTP API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from leadorch.app.background import start_api_background
    from leadorch.app.bootstrap import bootstrap
    from leadorch.app.cli.listen import bind_listener, bound_port
    from leadorch.app.cli.worker import close_after_runtime
    from leadorch.app.http.app import create_app
    from leadorch.app.observability.logging import configure_logging
    from leadorch.app.settings import load_settings

    settings = load_settings()
    # Logging first: the warnings bootstrap writes (stand-ins, checks) are JSON lines like the rest.
    configure_logging(settings.log_level, json_lines=settings.log_json)
    listener = bind_listener(args.host, args.port)  # a bad or taken port is one line, before anything starts
    container = bootstrap(settings, sends_messages=True)
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
