"""`leadorch demo`: the whole system in one process on the embedded default, ready to click through.

SQLite event store under the data directory, in-process worker, offline assistant (unless
ANTHROPIC_API_KEY is set), stand-ins for ShopMonkey, SendGrid and Twilio (unless real credentials are
set), and a demo tenant with a San Diego tint shop already configured.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="run the whole system with sample data (embedded default)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--data-dir", default="var/demo", help="where the demo keeps its SQLite files")
    parser.add_argument("--fresh", action="store_true", help="start from an empty demo database")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from leadorch.app.background import start_api_background
    from leadorch.app.bootstrap import bootstrap
    from leadorch.app.cli.listen import bind_listener, bound_port
    from leadorch.app.demo.environment import start_demo_environment
    from leadorch.app.demo.seed import seed_demo
    from leadorch.app.http.app import create_app
    from leadorch.app.observability.logging import configure_logging
    from leadorch.app.settings import load_settings

    listener = bind_listener(args.host, args.port)  # first: a taken port is one line, and we learn ours
    port = bound_port(listener)
    data_dir = Path(args.data_dir)
    if args.fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    base = load_settings(
        os.environ,
        database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{(data_dir / 'leadorch.db').resolve()}",
        public_base_url=os.environ.get("LEADORCH_PUBLIC_BASE_URL") or f"http://{args.host}:{port}",
    )
    env = start_demo_environment(base)
    settings = load_settings(os.environ, **{**_as_overrides(base), **env.overrides})
    configure_logging(settings.log_level, json_lines=settings.log_json)
    container = bootstrap(settings, clock=env.clock)
    container.demo = env
    container.on_close(env.stop)
    tenant_token = seed_demo(container)
    start_api_background(container)
    app = create_app(container)
    url = settings.public_base_url
    local = f"http://{args.host}:{port}"
    at = "" if local == "http://127.0.0.1:8000" else f" --url {local}"
    print(
        "\n".join(
            [
                "Lead Orchestrator demo is running.",
                f"  Console:        {url}/console   (operator token: {settings.admin_token})",
                f"  API schema:     {url}/schema",
                f"  Health:         {url}/health  ·  {url}/ready  ·  {url}/metrics",
                f"  Listening on:   {local}",
                "  Try it (in another terminal):",
                f"    export DATABASE_URL={settings.database_url}   # so `leadorch tenants|audit|…` see the demo",
                f"    uv run leadorch simulate{at} webhook        # a customer asks for a quote on the website",
                f"    uv run leadorch simulate{at} outbox         # touch 1 went out within a second",
                f'    uv run leadorch simulate{at} reply "STOP"   # the customer texts back',
                f"    uv run leadorch simulate{at} clock +3d      # move the demo clock (at most 90 days a jump)",
                f"  Demo tenant: demo-tint (tenant API token: {tenant_token})"
                if tenant_token
                else "  Demo tenant: demo-tint",
                "  Stop with Ctrl-C.",
            ]
        ),
        flush=True,
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=10))
    server.run(sockets=[listener])
    container.close()
    return 0


def _as_overrides(settings: Any) -> dict[str, Any]:
    import msgspec

    return msgspec.structs.asdict(settings)
