"""A tenant's settings in the console: the page, and each of its forms (tenant, location, templates).

A saved form redirects back to its place on the page with a notice; a refused one shows the page again,
the errors beside the fields and what was typed kept (422).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from leadorch.app.bootstrap import Container
from leadorch.app.config.errors import ConfigConflict
from leadorch.app.console import settings_forms
from leadorch.app.console.session import ConsoleSession
from leadorch.app.console.settings_page import build_settings_page
from leadorch.app.console.web import CONSOLE, go, page, read_form, tenant_session

Form = dict[str, Any]
SaveForm = Callable[[Container, settings_forms.FormData, str], settings_forms.FormOutcome]
"""save(container, form, actor): one form's change, or its refusal."""


class SettingsController(Controller):
    path = "/t/{tenant_id:str}/settings"
    dependencies = {"session": Provide(tenant_session, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def settings(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
    ) -> Template:
        return _settings_page(request, container, tenant_id, session)

    @post("/demo-mode", sync_to_thread=True)
    def set_demo_mode(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        session: NamedDependency[ConsoleSession],
        data: URLEncodedBody[Form],
    ) -> Template | Redirect:
        """Demo mode on, or off: off is the operator's act, confirmed by typing the tenant's id."""
        operator = session.principal.is_super_admin
        return _settings_action(
            request,
            container,
            tenant_id,
            session,
            data,
            settings_forms.DEMO_FORM,
            lambda c, form, actor: settings_forms.set_demo_mode(
                c, tenant_id, form, actor, by_operator=operator
            ),
        )

    @post("/{form_name:str}", sync_to_thread=True)
    def save_tenant_form(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        form_name: FromPath[str],
        session: NamedDependency[ConsoleSession],
        data: URLEncodedBody[Form],
    ) -> Template | Redirect:
        """One of the tenant's forms: `tenant`, `allow-list`, `allow-list-remove`."""
        if form_name not in settings_forms.TENANT_FORMS:
            raise NotFoundException(f"no settings form {form_name[:40]!r}")
        form_key, save = settings_forms.TENANT_FORMS[form_name]
        return _settings_action(
            request,
            container,
            tenant_id,
            session,
            data,
            form_key,
            lambda c, form, actor: save(c, tenant_id, form, actor),
        )

    @post("/locations/{location_id:str}/{form_name:str}", sync_to_thread=True)
    def save_location_form(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        location_id: FromPath[str],
        form_name: FromPath[str],
        session: NamedDependency[ConsoleSession],
        data: URLEncodedBody[Form],
    ) -> Template | Redirect:
        """One of a location's forms: `shop`, `hours`, `window`, `prices`."""
        if form_name not in settings_forms.LOCATION_FORMS:
            raise NotFoundException(f"no location settings form {form_name[:40]!r}")
        container.config.location(tenant_id, location_id)  # 404 for an unknown one
        prefix, save = settings_forms.LOCATION_FORMS[form_name]
        return _settings_action(
            request,
            container,
            tenant_id,
            session,
            data,
            f"{prefix}:{location_id}",
            lambda c, form, actor: save(c, tenant_id, location_id, form, actor),
        )

    @post("/templates/{touch_number:int}/{action:str}", sync_to_thread=True)
    def save_template_form(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        tenant_id: FromPath[str],
        touch_number: FromPath[int],
        action: FromPath[str],
        session: NamedDependency[ConsoleSession],
        data: URLEncodedBody[Form],
    ) -> Template | Redirect:
        """A touch's templates: `save` the parts typed, or `reset` to the defaults."""
        plan = container.config.tenant(tenant_id).touch_plan()
        if action not in ("save", "reset") or not 1 <= touch_number <= len(plan):
            raise NotFoundException(f"the tenant's cadence has no touch {touch_number} to {action[:20]}")

        def save(c: Container, form: settings_forms.FormData, actor: str) -> settings_forms.FormOutcome:
            if action == "reset":
                return settings_forms.reset_template(c, tenant_id, touch_number, actor)
            return settings_forms.save_template(c, tenant_id, touch_number, form, actor)

        return _settings_action(
            request, container, tenant_id, session, data, f"template:{touch_number}", save
        )


def _settings_page(
    request: Request[Any, Any, Any],
    container: Container,
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
        settings=build_settings_page(
            container, tenant_id, errors=errors, values=values, reveal_key=session.principal.is_super_admin
        ),
    )


def _settings_action(
    request: Request[Any, Any, Any],
    container: Container,
    tenant_id: str,
    session: ConsoleSession,
    data: Form,
    form_key: str,
    save: SaveForm,
) -> Template | Redirect:
    """Save one form; a refusal shows the page again with the errors beside the fields (422)."""
    form = read_form(request, session, data)
    try:
        outcome = save(container, form, session.principal.actor)
    except ConfigConflict as conflict:  # e.g. someone else kept editing the same location
        outcome = settings_forms.FormOutcome(errors={settings_forms.FORM: str(conflict)})
    if not outcome.saved:
        return _settings_page(
            request, container, tenant_id, session, form_key=form_key, outcome=outcome, typed=form
        )
    return go(request, f"{CONSOLE}/t/{tenant_id}/settings#{form_key}", notice=outcome.notice)
