"""The staff inbox in the console: the list, a thread, the reply box, "take over" and "hand back".

A reply that may not go (empty, too long, the customer never wrote, opted out, quiet hours) answers
the thread page again with the reason and the typed text kept (422, or 409 when it is the rules'
"not now"), never a 500; a reply sent, or a second submit of the same form, redirects to the thread
(Post/Redirect/Get). "Take over" pauses the lead's automation in the staff member's name, "hand back"
resumes it (the same use cases as the lead page's buttons).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_422_UNPROCESSABLE_ENTITY

from leadorch.app.bootstrap import Container
from leadorch.app.console import settings_forms
from leadorch.app.console.filters import page_number
from leadorch.app.console.inbox_page import build_inbox_page, build_thread_page, refusal_words
from leadorch.app.console.read_your_writes import catch_up_briefly
from leadorch.app.console.session import ConsoleSession
from leadorch.app.console.web import CONSOLE, go, page, read_form, tenant_session
from leadorch.app.eventstore.store import ConcurrencyConflict
from leadorch.app.http.console.lead_links import require_uuid
from leadorch.app.leads import use_cases
from leadorch.app.leads.staff_reply import ReplyRefused, reply_as_staff
from leadorch.app.readmodels.errors import InvalidQuery
from leadorch.domain.errors import DomainError

Form = dict[str, Any]
CHANNEL_SENT = {"sms": "by text", "email": "by email", "chat": "in the web chat"}


def thread_path(tenant_id: str, lead_id: str) -> str:
    return f"{CONSOLE}/t/{tenant_id}/inbox/{lead_id}"


def staff_name(session: ConsoleSession) -> str:
    """Who the customer's thread says wrote: the name typed at login, else the session's actor."""
    return session.name or session.principal.actor


class InboxController(Controller):
    path = "/t/{tenant_id:str}/inbox"
    dependencies = {"session": Provide(tenant_session, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def inbox(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
    ) -> Template:
        """Conversations needing attention first: unanswered, handed off, then the newest."""
        errors: dict[str, str] = {}
        number = page_number(request.query_params.get("page"), errors)
        if errors:
            raise InvalidQuery(errors["page"])
        reveal = request.query_params.get("show") == "1"
        return page(
            request,
            session,
            "inbox.html",
            tenant_id=tenant_id,
            section="inbox",
            box=build_inbox_page(container, tenant_id, page=number, reveal=reveal),
        )

    @get("/{lead_id:str}", sync_to_thread=True)
    def thread(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        lead_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
    ) -> Template:
        """Every message on every channel, who wrote each, and the reply box."""
        require_uuid(lead_id)
        reveal = request.query_params.get("show") == "1"
        return _thread(request, container, session, tenant_id, lead_id, reveal=reveal)

    @post("/{lead_id:str}/reply", sync_to_thread=True)
    def reply(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        lead_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
        data: URLEncodedBody[Form],
    ) -> Redirect | Template:
        require_uuid(lead_id)
        form = read_form(request, session, data)
        text = settings_forms.one(form, "text")
        key = settings_forms.one(form, "key")
        try:
            outcome = reply_as_staff(
                container, tenant_id, lead_id, key=key, text=text, staff=staff_name(session)
            )
        except ReplyRefused as refused:
            error = refusal_words(refused, container, tenant_id, lead_id) + " The reply was not sent."
            return _thread(
                request,
                container,
                session,
                tenant_id,
                lead_id,
                draft=text,
                error=error,
                status=HTTP_409_CONFLICT,
            )
        except DomainError as refused:
            error = _sentence(str(refused)) + " The reply was not sent."
            return _thread(
                request,
                container,
                session,
                tenant_id,
                lead_id,
                draft=text,
                error=error,
                status=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        catch_up_briefly(container)
        where = thread_path(tenant_id, lead_id)
        if outcome.status == "duplicate":
            return go(request, where, notice="That reply was already sent: it was not sent again.")
        if outcome.status == "uncertain":
            return go(
                request,
                where,
                error=f"The provider did not answer ({outcome.reason}): the reply may have been sent. "
                "Check with the customer before sending it again.",
            )
        if outcome.status == "failed":
            return go(request, where, error=f"The reply was not sent: {outcome.reason}")
        return go(
            request, where, notice=f"Reply sent {CHANNEL_SENT.get(outcome.channel, '')}.".replace(" .", ".")
        )

    @post("/{lead_id:str}/take-over", sync_to_thread=True)
    def take_over(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        lead_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
        data: URLEncodedBody[Form],
    ) -> Redirect:
        read_form(request, session, data)
        by = staff_name(session)
        return _act(
            request,
            container,
            tenant_id,
            lead_id,
            lambda: use_cases.pause(container, tenant_id, lead_id, by=by, reason="taken over from the inbox"),
            f"Taken over by {by}: the assistant stays quiet and no touch goes out until you hand it back.",
        )

    @post("/{lead_id:str}/hand-back", sync_to_thread=True)
    def hand_back(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        lead_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
        data: URLEncodedBody[Form],
    ) -> Redirect:
        read_form(request, session, data)
        return _act(
            request,
            container,
            tenant_id,
            lead_id,
            lambda: use_cases.resume(container, tenant_id, lead_id, by=staff_name(session)),
            "Handed back: the assistant answers the customer again.",
        )


def _sentence(words: str) -> str:
    words = words.strip()
    return words[:1].upper() + words[1:] + ("" if words.endswith(".") else ".")


def _thread(
    request: Request[Any, Any, Any],
    container: Container,
    session: ConsoleSession,
    tenant_id: str,
    lead_id: str,
    *,
    reveal: bool = False,
    draft: str = "",
    error: str = "",
    status: int = 200,
) -> Template:
    return page(
        request,
        session,
        "thread.html",
        status_code=status,
        tenant_id=tenant_id,
        section="inbox",
        thread=build_thread_page(container, tenant_id, lead_id, reveal=reveal, draft=draft, error=error),
    )


def _act(
    request: Request[Any, Any, Any],
    container: Container,
    tenant_id: str,
    lead_id: str,
    act: Any,
    done: str,
) -> Redirect:
    require_uuid(lead_id)
    where = thread_path(tenant_id, lead_id)
    try:
        act()
    except (DomainError, ConcurrencyConflict) as refused:
        return go(request, where, error=str(refused))
    catch_up_briefly(container)
    return go(request, where, notice=done)
