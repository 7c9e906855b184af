"""The Litestar application factory: every controller and router imported by name, one error mapping.

Registration is by import (as litestar-fullstack's `on_app_init` does), so "go to definition" on any
name in `ROUTE_HANDLERS` leads to the resource module that serves it. The container reaches handlers
through Litestar's dependency injection: a handler that declares `container: NamedDependency[Container]`
gets this app's.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from leadorch.app.bootstrap import Container
from leadorch.app.http.admin import LocationsController, TenantsController, audit_all
from leadorch.app.http.chat import ChatSessionsController, chat_page, chat_static
from leadorch.app.http.console.router import console_router
from leadorch.app.http.demo import DemoController
from leadorch.app.http.errors import EXCEPTION_HANDLERS
from leadorch.app.http.favicon import favicon
from leadorch.app.http.lead_actions import LeadActionsController
from leadorch.app.http.leads import LeadsController
from leadorch.app.http.ops import OpsController
from leadorch.app.http.schema_pages import OPENAPI_CONFIG, schema_assets
from leadorch.app.http.unsubscribe import UnsubscribeController
from leadorch.app.http.webhooks_sendgrid import receive_inbound_email
from leadorch.app.http.webhooks_sendgrid_events import receive_sendgrid_events
from leadorch.app.http.webhooks_shopmonkey import receive_shopmonkey_webhook
from leadorch.app.http.webhooks_twilio import receive_twilio_sms, receive_twilio_status

# Every JSON body is small; routes that take more (SendGrid's parsed mail) raise their own limit.
MAX_REQUEST_BODY_BYTES = 1024 * 1024

# Server-rendered pages (the ops console) find their Jinja2 templates here, e.g. "console/lead.html".
TEMPLATES_DIR = Path(__file__).parent / "templates"


ROUTE_HANDLERS: list[ControllerRouterHandler] = [
    OpsController,
    LeadsController,
    LeadActionsController,
    TenantsController,
    LocationsController,
    audit_all,
    DemoController,
    receive_shopmonkey_webhook,
    receive_twilio_sms,
    receive_twilio_status,
    receive_inbound_email,
    receive_sendgrid_events,
    UnsubscribeController,
    ChatSessionsController,
    chat_page,
    chat_static,
    console_router,
    schema_assets,
    favicon,
]


def provide_container(state: State) -> Container:
    """The app's container, for handlers that declare `container: NamedDependency[Container]`.

    It lives in the app's state, the one place guards and middleware (which see a connection, not
    dependencies) can read it too.
    """
    container: Container = state["container"]
    return container


def create_app(container: Container, *, debug: bool = False) -> Litestar:
    return Litestar(
        route_handlers=ROUTE_HANDLERS,
        dependencies={"container": Provide(provide_container, sync_to_thread=False)},
        state=State({"container": container}),
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OPENAPI_CONFIG,
        debug=debug,
        logging_config=None,  # logging is configured once per process (observability/logging.py)
        template_config=TemplateConfig(directory=TEMPLATES_DIR, engine=JinjaTemplateEngine),
        on_shutdown=[],
        request_max_body_size=MAX_REQUEST_BODY_BYTES,
    )
