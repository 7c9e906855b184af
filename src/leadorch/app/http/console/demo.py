"""The demo's button in the console: a customer asks for a quote on the website (demo server only)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect

from leadorch.app.bootstrap import Container
from leadorch.app.console.session import ConsoleSession
from leadorch.app.console.web import CONSOLE, go, read_form, tenant_session
from leadorch.app.demo.simulate import (
    DEMO_TENANT,
    DemoUnavailable,
    create_website_order,
    deliver_order_webhook,
)

Form = dict[str, Any]


class DemoController(Controller):
    path = "/t/{tenant_id:str}/demo"
    dependencies = {"session": Provide(tenant_session, sync_to_thread=True)}

    @post("/quote")
    async def simulate_quote(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
        data: URLEncodedBody[Form],
    ) -> Redirect:
        """A ShopMonkey order as the website makes one, then its signed webhook, as ShopMonkey sends it."""
        read_form(request, session, data)
        env = container.demo
        if env is None or tenant_id != DEMO_TENANT:
            raise NotFoundException("this server is not running the demo")
        leads_path = f"{CONSOLE}/t/{tenant_id}/leads"
        try:
            order = create_website_order(env)
        except DemoUnavailable as unavailable:
            return go(request, leads_path, error=str(unavailable))
        answer = await deliver_order_webhook(env, container.settings.public_base_url, order)
        status = answer["webhook_status"]
        if not 200 <= int(status) < 300:
            return go(request, leads_path, error=f"the webhook answered {status}: {answer['webhook_answer']}")
        return go(
            request,
            leads_path,
            notice=f"A website quote arrived as ShopMonkey order {order['id']} (webhook answered {status}). "
            "The lead appears here within a second: reload.",
        )
