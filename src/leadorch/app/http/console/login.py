"""Logging in and out of the console: the login form, the session cookie it starts, and logout."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from leadorch.app.bootstrap import Container
from leadorch.app.console.login import LoginRefused, tenant_for_token
from leadorch.app.console.session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    ConsoleSession,
    issue_session,
    new_login_nonce,
    read_session,
)
from leadorch.app.console.web import (
    CONSOLE,
    console_cookie,
    current_session,
    page,
    read_form,
    safe_next,
    session_cookie,
    wall_clock,
)

Form = dict[str, Any]


class LoginController(Controller):
    path = "/"

    @get("/login", sync_to_thread=True)
    def login_form(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        next: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        """The login form; someone already logged in goes straight on."""
        if read_session(container.settings.secret_key, request.cookies.get(SESSION_COOKIE), now=wall_clock()):
            return Redirect(path=safe_next(next), status_code=303)
        return _login_page(request, next=next)

    @post("/login", sync_to_thread=True)
    def login(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        data: URLEncodedBody[Form],
    ) -> Template | Redirect:
        """Check the token, start a session, and go where the visitor was heading."""
        fields = {key: value[-1] if isinstance(value, list) else value for key, value in (data or {}).items()}
        nonce = request.cookies.get(LOGIN_COOKIE)
        target = safe_next(fields.get("next"))
        if not nonce or fields.get("login_nonce") != nonce:
            return _login_page(
                request, next=target, error="the login form expired: try again", status_code=400
            )
        try:
            tenant_id = tenant_for_token(container, str(fields.get("token", "")))
        except LoginRefused as refused:
            return _login_page(
                request, next=target, error=str(refused), status_code=401, name=fields.get("name", "")
            )
        _, cookie = issue_session(
            container.settings.secret_key,
            tenant_id=tenant_id,
            name=str(fields.get("name", "")),
            now=wall_clock(),
        )
        if target == CONSOLE and tenant_id is not None:
            target = f"{CONSOLE}/t/{tenant_id}"
        response = Redirect(path=target, status_code=303)
        response.set_cookie(session_cookie(request, cookie, SESSION_SECONDS))
        response.delete_cookie(LOGIN_COOKIE, path=CONSOLE)
        return response

    @post(
        "/logout",
        dependencies={"session": Provide(current_session, sync_to_thread=True)},
        sync_to_thread=True,
    )
    def logout(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[ConsoleSession],
        data: URLEncodedBody[Form],
    ) -> Redirect:
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
