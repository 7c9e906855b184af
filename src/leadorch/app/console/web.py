"""The console's request plumbing: who is logged in, which tenant they may see, forms, pages, redirects.

Handlers in `leadorch.app.http.console` stay a few lines each by using these: `current_session` and
`tenant_session` (dependencies that send a visitor without a session to the login page and answer 404
for a tenant the session may not see, exactly like the API), `read_form` (refuses a form without this
session's CSRF token), `page` (renders a template with what every page shows) and `go` (redirects with
a one-time notice).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.datastructures import Cookie
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from leadorch.app.config.demo_seed import DEMO_TENANT
from leadorch.app.config.errors import UnknownTenant
from leadorch.app.console.flash import FLASH_COOKIE, Flash, decode_flash, encode_flash
from leadorch.app.console.session import (
    SESSION_COOKIE,
    ConsoleSession,
    csrf_matches,
    csrf_token,
    read_session,
)
from leadorch.app.console.settings_forms import FormData

CONSOLE = "/console"
LOGIN_PATH = f"{CONSOLE}/login"


class LoginRequired(Exception):
    """The visitor has no valid console session; they are sent to the login page, then back."""

    def __init__(self, back_to: str) -> None:
        super().__init__("log in to use the console")
        self.back_to = back_to


class CsrfRejected(Exception):
    """A form arrived without this session's CSRF token (another site, or a page from an old session)."""


def container_of(request: Request[Any, Any, Any]) -> Any:
    return request.app.state["container"]


def wall_clock() -> float:
    """Sessions expire by the wall clock (the demo clock may jump days ahead)."""
    return time.time()


# ---------------------------------------------------------------------------------- dependencies


def current_session(request: Request[Any, Any, Any]) -> ConsoleSession:
    """The logged-in session; without one, `LoginRequired` (a redirect to the login page)."""
    container = container_of(request)
    session = read_session(
        container.settings.secret_key, request.cookies.get(SESSION_COOKIE), now=wall_clock()
    )
    if session is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return session


def tenant_session(request: Request[Any, Any, Any], tenant_id: FromPath[str]) -> ConsoleSession:
    """The session, if it may see `tenant_id`; a tenant it may not see is 404 as if it did not exist."""
    session = current_session(request)
    if not session.principal.may_access(tenant_id):
        raise UnknownTenant(f"tenant {tenant_id!r} not found")
    container_of(request).config.tenant(tenant_id)  # a tenant deleted since login: 404 too
    return session


def read_form(request: Request[Any, Any, Any], session: ConsoleSession, data: Mapping[str, Any]) -> FormData:
    """The submitted fields (each a list of values), once the CSRF token is checked."""
    form = {key: value if isinstance(value, list) else [value] for key, value in (data or {}).items()}
    token = form.get("csrf", [""])[-1]
    if not csrf_matches(container_of(request).settings.secret_key, session, token):
        raise CsrfRejected(
            "this form has expired or did not come from the console: reload the page and try again"
        )
    return {key: [str(item) for item in values] for key, values in form.items()}


# ----------------------------------------------------------------------------------- responses


def page(
    request: Request[Any, Any, Any],
    session: ConsoleSession | None,
    template: str,
    *,
    status_code: int = 200,
    tenant_id: str | None = None,
    section: str = "",
    **context: Any,
) -> Template:
    """Render `console/<template>` with what every page shows: who is logged in, the tenant, the
    CSRF token for its forms, and a notice left by the previous request (read once)."""
    container = container_of(request)
    secret = container.settings.secret_key
    flash = decode_flash(secret, request.cookies.get(FLASH_COOKIE))
    tenant_name = None
    if tenant_id is not None:
        tenant_name = container.config.tenant(tenant_id).name
    response = Template(
        template_name=f"console/{template}",
        context={
            "session": session,
            "principal": session.principal if session else None,
            "csrf": csrf_token(secret, session) if session else "",
            "flash": flash,
            "tenant_id": tenant_id,
            "tenant_name": tenant_name,
            "section": section,
            "can_simulate": container.demo is not None and tenant_id == DEMO_TENANT,
            **context,
        },
        status_code=status_code,
        media_type=MediaType.HTML,
        headers=_NO_STORE,
    )
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path=CONSOLE)
    return response


def go(request: Request[Any, Any, Any], path: str, *, notice: str = "", error: str = "") -> Redirect:
    """Redirect (303: the browser follows with a GET) and show `notice` or `error` on the next page."""
    response = Redirect(path=path, status_code=HTTP_303_SEE_OTHER)
    if notice or error:
        flash = Flash("error", error) if error else Flash("notice", notice)
        response.set_cookie(
            console_cookie(
                request, FLASH_COOKIE, encode_flash(container_of(request).settings.secret_key, flash)
            )
        )
    return response


def session_cookie(request: Request[Any, Any, Any], value: str, max_age: int) -> Cookie:
    return console_cookie(request, SESSION_COOKIE, value, max_age=max_age)


def console_cookie(
    request: Request[Any, Any, Any], key: str, value: str, *, max_age: int | None = None
) -> Cookie:
    """A cookie only the console's own pages get: HttpOnly, SameSite=Strict, Secure behind HTTPS."""
    secure = str(container_of(request).settings.public_base_url).startswith("https://")
    return Cookie(
        key=key, value=value, path=CONSOLE, httponly=True, samesite="strict", secure=secure, max_age=max_age
    )


def login_redirect(back_to: str) -> Redirect:
    target = (
        LOGIN_PATH
        if back_to in ("", CONSOLE, f"{CONSOLE}/")
        else f"{LOGIN_PATH}?next={quote(back_to, safe='')}"
    )
    return Redirect(path=target, status_code=HTTP_303_SEE_OTHER)


def safe_next(value: str | None) -> str:
    """Where to go after logging in: only a console path of this site (never another site's URL)."""
    if not value or not value.startswith(f"{CONSOLE}") or value.startswith("//") or "\\" in value:
        return CONSOLE
    if value.startswith(LOGIN_PATH):
        return CONSOLE
    return value


def html_error(request: Request[Any, Any, Any], status_code: int, title: str, message: str) -> Response[Any]:
    """An error page for a person (the API answers JSON; the console answers HTML)."""
    session = read_session(
        container_of(request).settings.secret_key, request.cookies.get(SESSION_COOKIE), now=wall_clock()
    )
    return page(request, session, "error.html", status_code=status_code, title=title, message=message)


_NO_STORE = {"Cache-Control": "no-store"}
