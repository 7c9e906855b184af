"""Demo-only endpoints behind `leadorch simulate …` and the console's demo buttons.

They exist only on a server started by `leadorch demo` (elsewhere: 404) and need the operator's token.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import JSONBody

from leadorch.app.bootstrap import Container
from leadorch.app.demo.environment import DemoEnvironment
from leadorch.app.demo.simulate import (
    DEMO_TENANT,
    DemoUnavailable,
    check_ahead,
    create_website_order,
    deliver_order_webhook,
    parse_advance,
    send_customer_text,
)
from leadorch.app.http.auth import require_super_admin
from leadorch.app.readmodels.leads import get_lead, list_leads
from leadorch.app.touches.actors import MARK_LOST_LEADS, TICK_DUE_TOUCHES
from leadorch.app.worker.enqueue import enqueue


class QuoteRequest(msgspec.Struct, kw_only=True):
    stranger: bool = False


class ReplyRequest(msgspec.Struct, kw_only=True):
    text: str
    lead_id: str | None = None


class ClockRequest(msgspec.Struct, kw_only=True):
    advance: str


def provide_demo(container: NamedDependency[Container]) -> DemoEnvironment:
    """The demo's stand-ins; a server not started by `leadorch demo` answers 404."""
    env: DemoEnvironment | None = container.demo
    if env is None:
        raise NotFoundException("this server is not running the demo")
    return env


class DemoController(Controller):
    path = "/api/demo"
    guards = [require_super_admin]
    tags = ["demo"]
    include_in_schema = False
    dependencies = {"env": Provide(provide_demo, sync_to_thread=False)}

    @post("/quotes", status_code=200)
    async def simulate_quote(
        self,
        container: NamedDependency[Container],
        env: NamedDependency[DemoEnvironment],
        data: JSONBody[QuoteRequest],
    ) -> dict[str, Any]:
        """A customer asks for a quote on the website: ShopMonkey creates the order and sends the webhook."""
        try:
            order = create_website_order(env, stranger=data.stranger)
        except DemoUnavailable as exc:
            raise ClientException(str(exc)) from None
        return await deliver_order_webhook(env, container.settings.public_base_url, order)

    @post("/replies", status_code=200, sync_to_thread=True)
    def simulate_reply(
        self,
        container: NamedDependency[Container],
        env: NamedDependency[DemoEnvironment],
        data: JSONBody[ReplyRequest],
    ) -> dict[str, Any]:
        """The customer texts back from their phone."""
        if data.lead_id:
            lead = get_lead(container.db, DEMO_TENANT, data.lead_id)
            leads = [lead] if lead else []
        else:
            leads = [lead for lead in list_leads(container.db, DEMO_TENANT, limit=20) if lead.phone]
        if not leads or not leads[0].phone:
            raise ClientException("no lead with a phone number yet: run `leadorch simulate webhook` first")
        location = _location_phone(container, leads[0].location_id)
        try:
            return send_customer_text(
                env,
                container.settings.public_base_url,
                from_number=leads[0].phone,
                to_number=location,
                text=data.text,
            ) | {"lead_id": leads[0].lead_id}
        except DemoUnavailable as exc:
            raise ClientException(str(exc)) from None

    @post("/clock", status_code=200, sync_to_thread=False)
    def simulate_clock(
        self,
        container: NamedDependency[Container],
        env: NamedDependency[DemoEnvironment],
        data: JSONBody[ClockRequest],
    ) -> dict[str, Any]:
        """Move the demo clock forward so the cadence's later touches come due."""
        try:
            delta = parse_advance(data.advance)
            check_ahead(env.clock.offset, delta)
        except ValueError as exc:
            raise ClientException(str(exc)) from None
        now = env.clock.advance(delta)
        for job in (TICK_DUE_TOUCHES, MARK_LOST_LEADS):  # a worker runs them; without one, the next tick does
            enqueue(container, job, inline=False)
        return {"now": now.isoformat()}

    @get("/outbox", sync_to_thread=False)
    def outbox(self, env: NamedDependency[DemoEnvironment]) -> dict[str, Any]:
        """What the SendGrid and Twilio stand-ins accepted, newest first."""
        emails = [
            {
                "to": m.to,
                "subject": m.subject,
                "text": m.text,
                "message_id": m.message_id,
                "custom_args": m.custom_args,
            }
            for m in (env.sendgrid.outbox if env.sendgrid else [])
        ]
        texts = [
            {"to": m.to, "body": m.body, "sid": m.sid, "at": m.date_created.isoformat()}
            for m in (env.twilio.outbox if env.twilio else [])
        ]
        return {"emails": emails[::-1], "sms": texts[::-1]}


def _location_phone(container: Container, location_id: str) -> str:
    """The number the customer texts: the location's own."""
    location = container.config.repository.location(DEMO_TENANT, location_id)
    return str(location.phone or "+16195550100")
