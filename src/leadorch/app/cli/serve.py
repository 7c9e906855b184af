"""`leadorch serve`: the HTTP API (webhooks, chat, admin, console)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("serve", help="run the HTTP API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from leadorch.app.background import start_api_background
    from leadorch.app.bootstrap import bootstrap
    from leadorch.app.http.app import create_app
    from leadorch.app.observability.logging import configure_logging

    container = bootstrap()
    configure_logging(container.settings.log_level, json_lines=container.settings.log_json)
    start_api_background(container)
    app = create_app(container)
    print(
        f"leadorch: serving on http://{args.host}:{args.port} (health: /health, API schema: /schema/openapi.json)"
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=20)
    container.close()
    return 0
