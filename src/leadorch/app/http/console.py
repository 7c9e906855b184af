"""The ops console: server-rendered pages under `/console` (no front-end build, nothing from a CDN).

Log in with the operator's admin token or a tenant's API token; the session cookie then scopes every
page to the tenants that token may see (another tenant answers 404, as in the API). Pages read read
models and a lead's audit history; buttons call the same use cases as the API and redirect back with
a notice (Post/Redirect/Get), and every form carries the session's CSRF token. Handlers only translate
requests: what a page shows is assembled in `leadorch.app.console`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import File, Redirect, Template
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

from leadorch.app.config import config_service
from leadorch.app.config.errors import ConfigConflict, ConfigNotFound
from leadorch.app.console import settings_forms
from leadorch.app.console.dashboard import (
    DateRange,
    InvalidDateRange,
    build_dashboard,
    parse_date_range,
    tenant_today,
)
from leadorch.app.console.lead_list import build_lead_list, locations_of, parse_lead_filters
from leadorch.app.console.lead_page import build_lead_page
from leadorch.app.console.login import LoginRefused, tenant_for_token
from leadorch.app.console.outbox import CHANNELS
from leadorch.app.console.outbox_page import build_outbox_page, parse_outbox_filters
from leadorch.app.console.read_your_writes import catch_up_briefly
from leadorch.app.console.session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    ConsoleSession,
    issue_session,
    new_login_nonce,
    read_session,
)
from leadorch.app.console.settings_page import build_settings_page
from leadorch.app.console.touch_resolution import OUTCOMES, resolve_uncertain_touch
from leadorch.app.console.web import (
    CONSOLE,
    CsrfRejected,
    LoginRequired,
    console_cookie,
    container_of,
    current_session,
    go,
    html_error,
    login_redirect,
    page,
    read_form,
    safe_next,
    session_cookie,
    tenant_session,
    wall_clock,
)
from leadorch.app.eventstore.store import ConcurrencyConflict, NotFound
from leadorch.app.leads import use_cases
from leadorch.app.readmodels.errors import InvalidQuery
from leadorch.domain.errors import DomainError

STATIC = Path(__file__).parent / "static"
Form = dict[str, Any]
_TENANT = Provide(tenant_session, sync_to_thread=True)

# ------------------------------------------------------------------------------------ logging in


@get("/login", sync_to_thread=True)
def login_form(request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Template | Redirect:
    """The login form; someone already logged in goes straight on."""
    container = container_of(request)
    if read_session(container.settings.secret_key, request.cookies.get(SESSION_COOKIE), now=wall_clock()):
        return Redirect(path=safe_next(next), status_code=303)
    return _login_page(request, next=next)


@post("/login", sync_to_thread=True)
def login(request: Request[Any, Any, Any], data: URLEncodedBody[Form]) -> Template | Redirect:
    """Check the token, start a session, and go where the visitor was heading."""
    container = container_of(request)
    fields = {key: value[-1] if isinstance(value, list) else value for key, value in (data or {}).items()}
    nonce = request.cookies.get(LOGIN_COOKIE)
    target = safe_next(fields.get("next"))
    if not nonce or fields.get("login_nonce") != nonce:
        return _login_page(request, next=target, error="the login form expired: try again", status_code=400)
    try:
        tenant_id = tenant_for_token(container, str(fields.get("token", "")))
    except LoginRefused as refused:
        return _login_page(
            request, next=target, error=str(refused), status_code=401, name=fields.get("name", "")
        )
    _, cookie = issue_session(
        container.settings.secret_key, tenant_id=tenant_id, name=str(fields.get("name", "")), now=wall_clock()
    )
    if target == CONSOLE and tenant_id is not None:
        target = f"{CONSOLE}/t/{tenant_id}"
    response = Redirect(path=target, status_code=303)
    response.set_cookie(session_cookie(request, cookie, SESSION_SECONDS))
    response.delete_cookie(LOGIN_COOKIE, path=CONSOLE)
    return response


@post("/logout", sync_to_thread=True)
def logout(request: Request[Any, Any, Any], data: URLEncodedBody[Form]) -> Redirect:
    session = current_session(request)
    read_form(request, session, data)
    response = Redirect(path=f"{CONSOLE}/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=CONSOLE)
    return response


def _login_page(
    request: Request[Any, Any, Any],
    *,
    next: str | None,
    error: str = "",
    status_code: int = 200,
    name: str = "",
) -> Template:
    nonce = new_login_nonce()
    response = page(
        request,
        None,
        "login.html",
        status_code=status_code,
        next=safe_next(next),
        error=error,
        nonce=nonce,
        name=name,
    )
    response.set_cookie(console_cookie(request, LOGIN_COOKIE, nonce, max_age=3600))
    return response


# ---------------------------------------------------------------------------------------- pages


@get("/", sync_to_thread=True)
def home(request: Request[Any, Any, Any]) -> Template | Redirect:
    """The operator picks a tenant; a tenant's login goes to its dashboard."""
    session = current_session(request)
    if session.tenant_id is not None:
        return Redirect(path=f"{CONSOLE}/t/{session.tenant_id}", status_code=303)
    tenants = config_service(container_of(request)).tenants()
    return page(request, session, "tenants.html", tenants=tenants)


@get("/leads/{lead_id:str}", sync_to_thread=True)
def lead_by_id(request: Request[Any, Any, Any], lead_id: FromPath[str]) -> Redirect:
    """The short link staff alerts carry: finds the lead among the tenants this login may see."""
    from leadorch.app.readmodels.leads import get_lead

    session = current_session(request)
    _require_uuid(lead_id)
    container = container_of(request)
    tenants = (
        [session.tenant_id]
        if session.tenant_id is not None
        else [t.tenant_id for t in config_service(container).tenants()]
    )
    for tenant_id in tenants:
        if get_lead(container.db, tenant_id, lead_id) is not None:
            return Redirect(path=_lead_path(tenant_id, lead_id), status_code=303)
    raise NotFoundException("no such lead")


@get("/t/{tenant_id:str}", dependencies={"session": _TENANT}, sync_to_thread=True)
def dashboard(
    request: Request[Any, Any, Any], tenant_id: FromPath[str], session: NamedDependency[ConsoleSession]
) -> Template:
    """Funnel and speed-to-lead for the tenant and each location over `?from=&to=`."""
    container = container_of(request)
    today = tenant_today(container, tenant_id)
    error = ""
    raw_from, raw_to = request.query_params.get("from"), request.query_params.get("to")
    try:
        date_range = parse_date_range(raw_from, raw_to, today=today)
    except InvalidDateRange as invalid:
        error = str(invalid)
        date_range = DateRange.ending(today)
    return page(
        request,
        session,
        "dashboard.html",
        status_code=HTTP_400_BAD_REQUEST if error else 200,
        tenant_id=tenant_id,
        section="dashboard",
        board=build_dashboard(container, tenant_id, date_range),
        range_error=error,
        typed_from=raw_from if error else date_range.first.isoformat(),
        typed_to=raw_to if error else date_range.last.isoformat(),
    )


@get("/t/{tenant_id:str}/leads", dependencies={"session": _TENANT}, sync_to_thread=True)
def leads(
    request: Request[Any, Any, Any], tenant_id: FromPath[str], session: NamedDependency[ConsoleSession]
) -> Template:
    """The tenant's leads, by location and status, searchable."""
    container = container_of(request)
    filters, errors = parse_lead_filters(request.query_params, locations=locations_of(container, tenant_id))
    return page(
        request,
        session,
        "leads.html",
        status_code=HTTP_400_BAD_REQUEST if errors else 200,
        tenant_id=tenant_id,
        section="leads",
        listing=build_lead_list(container, tenant_id, filters, errors),
    )


@get("/t/{tenant_id:str}/leads/{lead_id:str}", dependencies={"session": _TENANT}, sync_to_thread=True)
def lead(
    request: Request[Any, Any, Any],
    tenant_id: FromPath[str],
    lead_id: FromPath[str],
    session: NamedDependency[ConsoleSession],
) -> Template:
    """One lead: contact (masked unless `?show=1`), touches, conversation, appointment, timeline."""
    _require_uuid(lead_id)
    reveal = request.query_params.get("show") == "1"
    return page(
        request,
        session,
        "lead.html",
        tenant_id=tenant_id,
        section="leads",
        lead=build_lead_page(container_of(request), tenant_id, lead_id, reveal=reveal),
        outcomes=OUTCOMES,
    )


@get("/t/{tenant_id:str}/outbox", dependencies={"session": _TENANT}, sync_to_thread=True)
def outbox(
    request: Request[Any, Any, Any], tenant_id: FromPath[str], session: NamedDependency[ConsoleSession]
) -> Template:
    """Every message sent, suppressed, failed or in doubt, newest first."""
    container = container_of(request)
    filters, errors = parse_outbox_filters(request.query_params, locations=locations_of(container, tenant_id))
    return page(
        request,
        session,
        "outbox.html",
        status_code=HTTP_400_BAD_REQUEST if errors else 200,
        tenant_id=tenant_id,
        section="outbox",
        box=build_outbox_page(container, tenant_id, filters, errors),
        channels=CHANNELS,
    )


@get("/t/{tenant_id:str}/settings", dependencies={"session": _TENANT}, sync_to_thread=True)
def settings(
    request: Request[Any, Any, Any], tenant_id: FromPath[str], session: NamedDependency[ConsoleSession]
) -> Template:
    return _settings_page(request, tenant_id, session)


def _settings_page(
    request: Request[Any, Any, Any],
    tenant_id: str,
    session: ConsoleSession,
    *,
    form_key: str = "",
    outcome: settings_forms.FormOutcome | None = None,
    typed: settings_forms.FormData | None = None,
) -> Template:
    errors = {form_key: outcome.errors} if outcome and outcome.errors else {}
    values = (
        {form_key: {k: (v if len(v) > 1 else v[-1]) for k, v in (typed or {}).items() if v}} if errors else {}
    )
    return page(
        request,
        session,
        "settings.html",
        status_code=HTTP_422_UNPROCESSABLE_ENTITY if errors else 200,
        tenant_id=tenant_id,
        section="settings",
        settings=build_settings_page(container_of(request), tenant_id, errors=errors, values=values),
    )


# ------------------------------------------------------------------------------------ lead actions


def _lead_path(tenant_id: str, lead_id: str) -> str:
    return f"{CONSOLE}/t/{tenant_id}/leads/{lead_id}"


def _lead_action(
    request: Request[Any, Any, Any], tenant_id: str, lead_id: str, act: Any, done: str
) -> Redirect:
    """Run a lead use case; the lead page then shows what happened (or the domain's reason not to)."""
    _require_uuid(lead_id)
    try:
        act()
    except (DomainError, ConcurrencyConflict) as refused:
        return go(request, _lead_path(tenant_id, lead_id), error=str(refused))
    catch_up_briefly(container_of(request))  # the page the browser is sent to reads the read models
    return go(request, _lead_path(tenant_id, lead_id), notice=done)


@post("/t/{tenant_id:str}/leads/{lead_id:str}/pause", dependencies={"session": _TENANT}, sync_to_thread=True)
def pause(
    request: Request[Any, Any, Any],
    tenant_id: FromPath[str],
    lead_id: FromPath[str],
    session: NamedDependency[ConsoleSession],
    data: URLEncodedBody[Form],
) -> Redirect:
    form = read_form(request, session, data)
    reason = settings_forms.one(form, "reason").strip()[:500]
    container = container_of(request)
    return _lead_action(
        request,
        tenant_id,
        lead_id,
        lambda: use_cases.pause(container, tenant_id, lead_id, by=session.principal.actor, reason=reason),
        "Automation paused: no automated message goes out until it is resumed.",
    )


@post("/t/{tenant_id:str}/leads/{lead_id:str}/resume", dependencies={"session": _TENANT}, sync_to_thread=True)
def resume(
    request: Request[Any, Any, Any],
    tenant_id: FromPath[str],
    lead_id: FromPath[str],
    session: NamedDependency[ConsoleSession],
    data: URLEncodedBody[Form],
) -> Redirect:
    read_form(request, session, data)
    container = container_of(request)
    return _lead_action(
        request,
        tenant_id,
        lead_id,
        lambda: use_cases.resume(container, tenant_id, lead_id, by=session.principal.actor),
        "Automation resumed: the next touch is scheduled from now.",
    )


@post(
    "/t/{tenant_id:str}/leads/{lead_id:str}/hand-to-shop",
    dependencies={"session": _TENANT},
    sync_to_thread=True,
)
def hand_to_shop(
    request: Request[Any, Any, Any],
    tenant_id: FromPath[str],
    lead_id: FromPath[str],
    session: NamedDependency[ConsoleSession],
    data: URLEncodedBody[Form],
) -> Redirect:
    form = read_form(request, session, data)
    reason = settings_forms.one(form, "reason").strip()[:500]
    if not reason:
        return go(request, _lead_path(tenant_id, lead_id), error="say why the shop takes this lead over")
    container = container_of(request)
    return _lead_action(
        request,
        tenant_id,
        lead_id,
        lambda: use_cases.hand_to_shop(
            container, tenant_id, lead_id, reason=f"{reason} ({session.principal.actor})"
        ),
        "Handed to the shop: the automation stopped for good.",
    )


@post(
    "/t/{tenant_id:str}/leads/{lead_id:str}/touches/{touch_number:int}/resolve",
    dependencies={"session": _TENANT},
    sync_to_thread=True,
)
def resolve_touch(
    request: Request[Any, Any, Any],
    tenant_id: FromPath[str],
    lead_id: FromPath[str],
    touch_number: FromPath[int],
    session: NamedDependency[ConsoleSession],
    data: URLEncodedBody[Form],
) -> Redirect:
    form = read_form(request, session, data)
    outcome = settings_forms.one(form, "outcome")
    if outcome not in OUTCOMES:
        return go(request, _lead_path(tenant_id, lead_id), error="choose whether the message was sent or not")
    container = container_of(request)
    words = "was sent" if outcome == "sent" else "was not sent"
    return _lead_action(
        request,
        tenant_id,
        lead_id,
        lambda: resolve_uncertain_touch(
            container,
            tenant_id,
            lead_id,
            touch_number=touch_number,
            outcome=outcome,
            by=session.principal.actor,
        ),
        f"Recorded that touch {touch_number} {words}.",
    )


# ---------------------------------------------------------------------------------------- settings


@post("/t/{tenant_id:str}/settings/{form_name:str}", dependencies={"session": _TENANT}, sync_to_thread=True)
def save_tenant_form(
    request: Request[Any, Any, Any],
    tenant_id: FromPath[str],
    form_name: FromPath[str],
    session: NamedDependency[ConsoleSession],
    data: URLEncodedBody[Form],
) -> Template | Redirect:
    """One of the tenant's forms: `tenant`, `demo-mode`, `allow-list`, `allow-list-remove`."""
    if form_name not in settings_forms.TENANT_FORMS:
        raise NotFoundException(f"no settings form {form_name[:40]!r}")
    form_key, save = settings_forms.TENANT_FORMS[form_name]
    return _settings_action(
        request, tenant_id, session, data, form_key, lambda c, form, actor: save(c, tenant_id, form, actor)
    )


@post(
    "/t/{tenant_id:str}/settings/locations/{location_id:str}/{form_name:str}",
    dependencies={"session": _TENANT},
    sync_to_thread=True,
)
def save_location_form(
    request: Request[Any, Any, Any],
    tenant_id: FromPath[str],
    location_id: FromPath[str],
    form_name: FromPath[str],
    session: NamedDependency[ConsoleSession],
    data: URLEncodedBody[Form],
) -> Template | Redirect:
    """One of a location's forms: `shop`, `hours`, `window`, `prices`."""
    if form_name not in settings_forms.LOCATION_FORMS:
        raise NotFoundException(f"no location settings form {form_name[:40]!r}")
    config_service(container_of(request)).location(tenant_id, location_id)  # 404 for an unknown one
    prefix, save = settings_forms.LOCATION_FORMS[form_name]
    return _settings_action(
        request,
        tenant_id,
        session,
        data,
        f"{prefix}:{location_id}",
        lambda c, form, actor: save(c, tenant_id, location_id, form, actor),
    )


@post(
    "/t/{tenant_id:str}/settings/templates/{touch_number:int}/{action:str}",
    dependencies={"session": _TENANT},
    sync_to_thread=True,
)
def save_template_form(
    request: Request[Any, Any, Any],
    tenant_id: FromPath[str],
    touch_number: FromPath[int],
    action: FromPath[str],
    session: NamedDependency[ConsoleSession],
    data: URLEncodedBody[Form],
) -> Template | Redirect:
    """A touch's templates: `save` the parts typed, or `reset` to the defaults."""
    plan = config_service(container_of(request)).tenant(tenant_id).touch_plan()
    if action not in ("save", "reset") or not 1 <= touch_number <= len(plan):
        raise NotFoundException(f"the tenant's cadence has no touch {touch_number} to {action[:20]}")

    def save(container: Any, form: settings_forms.FormData, actor: str) -> settings_forms.FormOutcome:
        if action == "reset":
            return settings_forms.reset_template(container, tenant_id, touch_number, actor)
        return settings_forms.save_template(container, tenant_id, touch_number, form, actor)

    return _settings_action(request, tenant_id, session, data, f"template:{touch_number}", save)


def _settings_action(
    request: Request[Any, Any, Any],
    tenant_id: str,
    session: ConsoleSession,
    data: Form,
    form_key: str,
    save: Any,
) -> Template | Redirect:
    """Save one form; a refusal shows the page again with the errors beside the fields (422)."""
    form = read_form(request, session, data)
    try:
        outcome: settings_forms.FormOutcome = save(container_of(request), form, session.principal.actor)
    except ConfigConflict as conflict:  # e.g. someone else kept editing the same location
        outcome = settings_forms.FormOutcome(errors={settings_forms.FORM: str(conflict)})
    if not outcome.saved:
        return _settings_page(request, tenant_id, session, form_key=form_key, outcome=outcome, typed=form)
    return go(request, f"{CONSOLE}/t/{tenant_id}/settings#{form_key}", notice=outcome.notice)


# -------------------------------------------------------------------------------------------- demo


@post("/t/{tenant_id:str}/demo/quote", dependencies={"session": _TENANT})
async def simulate_quote(
    request: Request[Any, Any, Any],
    tenant_id: FromPath[str],
    session: NamedDependency[ConsoleSession],
    data: URLEncodedBody[Form],
) -> Redirect:
    """Demo only: a customer asks for a quote on the website (ShopMonkey order + signed webhook)."""
    from leadorch.app.demo.simulate import (
        DEMO_TENANT,
        DemoUnavailable,
        create_website_order,
        deliver_order_webhook,
    )

    read_form(request, session, data)
    container = container_of(request)
    env = container.extras.get("demo")
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


# ------------------------------------------------------------------------------------- static, errors


@get("/static/console.css", sync_to_thread=False, include_in_schema=False)
def stylesheet() -> File:
    return File(path=STATIC / "console.css", media_type="text/css", headers={"Cache-Control": "max-age=300"})


def _require_uuid(lead_id: str) -> None:
    try:
        UUID(lead_id)
    except ValueError:
        raise NotFound(f"lead {lead_id[:64]!r} not found: a lead id is a UUID") from None


def _to_login(request: Request[Any, Any, Any], exc: LoginRequired) -> Response[Any]:
    return login_redirect(exc.back_to)


def _not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    detail = getattr(exc, "detail", "") or str(exc)
    return html_error(request, HTTP_404_NOT_FOUND, "Not found", detail)


def _bad_request(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return html_error(request, HTTP_400_BAD_REQUEST, "That request cannot be answered", str(exc))


def _forbidden(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return html_error(request, HTTP_403_FORBIDDEN, "Form refused", str(exc))


console_router = Router(
    path=CONSOLE,
    route_handlers=[
        login_form,
        login,
        logout,
        home,
        lead_by_id,
        dashboard,
        leads,
        lead,
        outbox,
        settings,
        pause,
        resume,
        hand_to_shop,
        resolve_touch,
        save_tenant_form,
        save_location_form,
        save_template_form,
        simulate_quote,
        stylesheet,
    ],
    include_in_schema=False,
    exception_handlers={
        LoginRequired: _to_login,
        CsrfRejected: _forbidden,
        NotFound: _not_found,
        ConfigNotFound: _not_found,
        NotFoundException: _not_found,
        InvalidQuery: _bad_request,
    },
)
