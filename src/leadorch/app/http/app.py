"""The Litestar application factory: routers from each resource module, one error mapping."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from leadorch.app.bootstrap import Container
from leadorch.app.http.errors import EXCEPTION_HANDLERS

# Each module exposes `ROUTES: list` of Litestar route handlers / controllers / routers.
ROUTE_MODULES: list[str] = [
    "leadorch.app.http.leads",
    "leadorch.app.http.ops",
    "leadorch.app.http.demo",
    "leadorch.app.http.admin",
    "leadorch.app.http.webhooks_shopmonkey",
    "leadorch.app.http.webhooks_twilio",
    "leadorch.app.http.webhooks_sendgrid",
    "leadorch.app.http.unsubscribe",
    "leadorch.app.http.lead_actions",
    "leadorch.app.http.chat",
    "leadorch.app.http.console",
]

# Server-rendered pages (the ops console) find their Jinja2 templates here, e.g. "console/lead.html".
TEMPLATES_DIR = Path(__file__).parent / "templates"


@get("/health", sync_to_thread=False, tags=["ops"])
def health() -> dict[str, str]:
    """Liveness: the process is up and serving."""
    return {"status": "ok"}


def create_app(container: Container, *, debug: bool = False) -> Litestar:
    handlers: list[Any] = [health]
    for module_name in ROUTE_MODULES:
        handlers.extend(importlib.import_module(module_name).ROUTES)
    return Litestar(
        route_handlers=handlers,
        dependencies={},
        state=State({"container": container}),
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(title="Lead Orchestrator", version="0.1.0", path="/schema"),
        debug=debug,
        logging_config=None,  # logging is configured once per process (observability/logging.py)
        template_config=TemplateConfig(directory=TEMPLATES_DIR, engine=JinjaTemplateEngine),
        on_shutdown=[],
    )
