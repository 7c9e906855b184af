"""`GET/POST /unsubscribe/{token}`: leaving the email cadence in one click, no login.

`GET` shows a confirmation page with one button (mail scanners and link previews follow GET links, so
GET alone never unsubscribes). `POST` unsubscribes at once: it is both that button and the RFC 8058
one-click request mailbox providers send (`List-Unsubscribe=One-Click`), and it is idempotent. The
token is signed and names the tenant and the lead (`app/links.py`); a forged one is refused, an
expired one explains how else to stop the emails.
"""

from __future__ import annotations

import logging
from html import escape

from anyio import to_thread
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND

from leadorch.app.bootstrap import Container
from leadorch.app.config.errors import ConfigNotFound
from leadorch.app.eventstore.store import NotFound
from leadorch.app.leads import use_cases
from leadorch.app.links import InvalidLink
from leadorch.domain.lead import Lead
from leadorch.domain.values import Channel

log = logging.getLogger(__name__)

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:Helvetica,Arial,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;
line-height:1.5;color:#111827}}button{{font-size:1rem;padding:.7rem 1.2rem;border:0;border-radius:6px;
background:#111827;color:#fff;cursor:pointer}}</style></head><body><h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str, status: int = HTTP_200_OK) -> Response[str]:
    return Response(
        content=_PAGE.format(title=escape(title), body=body),
        status_code=status,
        media_type="text/html",
        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"},
    )


def _lead(container: Container, token: str) -> tuple[str, Lead]:
    """The tenant and lead a valid token names (`InvalidLink`, `NotFound` otherwise)."""
    tenant_id, lead_id = container.links.verify_unsubscribe_token(token, container.clock.now())
    return tenant_id, container.store.load(use_cases.lead_uuid(lead_id), Lead, tenant_id)


def _sender(container: Container, tenant_id: str, lead: Lead) -> str:
    try:
        return str(container.config.location(tenant_id, lead.location_id).name)
    except ConfigNotFound:
        return "this shop"


def _refused(error: Exception) -> Response[str]:
    if isinstance(error, InvalidLink):
        if error.reason == "the link has expired":
            body = "<p>This unsubscribe link has expired. Reply to any of our emails with “unsubscribe” and we will stop.</p>"
        else:
            body = "<p>This unsubscribe link is not valid. Please use the link from the email itself.</p>"
        return _page("Link not valid", body, HTTP_400_BAD_REQUEST)
    return _page("Not found", "<p>We could not find this subscription.</p>", HTTP_404_NOT_FOUND)


# Both handlers are async and move their blocking work to a thread themselves: Litestar 2.25 breaks a
# sync (`sync_to_thread`) GET handler that shares its path with a POST handler.


class UnsubscribeController(Controller):
    path = "/unsubscribe/{token:str}"
    tags = ["unsubscribe"]
    include_in_schema = False

    @get("/")
    async def confirm(self, container: NamedDependency[Container], token: FromPath[str]) -> Response[str]:
        """A page asking to confirm, with the one button that unsubscribes."""
        return await to_thread.run_sync(_confirmation_page, container, token)

    @post("/", status_code=HTTP_200_OK)
    async def unsubscribe(self, container: NamedDependency[Container], token: FromPath[str]) -> Response[str]:
        """Opt the lead out of email now (the button, or an RFC 8058 one-click POST)."""
        return await to_thread.run_sync(_unsubscribe, container, token)


def _confirmation_page(container: Container, token: str) -> Response[str]:
    try:
        tenant_id, lead = _lead(container, token)
    except (InvalidLink, NotFound) as error:
        return _refused(error)
    sender = escape(_sender(container, tenant_id, lead))
    if not lead.consent[Channel.EMAIL]:
        return _page(
            "You're unsubscribed", f"<p>You no longer receive emails from {sender} about your quote.</p>"
        )
    body = (
        f"<p>Stop emails from {sender} about your quote?</p>"
        f'<form method="post" action="/unsubscribe/{escape(token)}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        "<button type=submit>Unsubscribe</button></form>"
    )
    return _page("Unsubscribe", body)


def _unsubscribe(container: Container, token: str) -> Response[str]:
    try:
        tenant_id, lead = _lead(container, token)
    except (InvalidLink, NotFound) as error:
        return _refused(error)
    use_cases.opt_out(container, tenant_id, lead.id, Channel.EMAIL, "unsubscribe link")
    log.info("lead %s unsubscribed from email", lead.id)
    sender = escape(_sender(container, tenant_id, lead))
    return _page("You're unsubscribed", f"<p>You will get no more emails from {sender} about your quote.</p>")
