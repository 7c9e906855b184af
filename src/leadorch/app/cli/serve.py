"""`leadorch serve`: the HTTP API (webhooks, chat, admin, console).

Graceful shutdown: on SIGTERM/SIGINT uvicorn stops accepting connections and lets the requests in flight
finish for up to `GRACEFUL_SHUTDOWN_SECONDS`; then the embedded worker (no `REDIS_URL`) finishes its jobs
in flight, and only then are the clients and the database closed.
"""

from __future__ import annotations

import argparse
from typing import Any

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
    from leadorch.app.cli.worker import close_after_runtime
    from leadorch.app.http.app import create_app
    from leadorch.app.observability.logging import configure_logging
    from leadorch.app.settings import load_settings

    settings = load_settings()
    # Logging first: the warnings bootstrap writes (stand-ins, checks) are JSON lines like the rest.
    configure_logging(settings.log_level, json_lines=settings.log_json)
    container = bootstrap(settings, sends_messages=True)
    runtime = start_api_background(container)
    app = create_app(container)
    print(
        f"leadorch: serving on http://{args.host}:{args.port} (health: /health, API schema: /schema/openapi.json)"
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    close_after_runtime(container, runtime)
    return 0
