"""What each settings form does: read the fields, change the configuration through `ConfigService`.

The configuration service holds every rule (and audits each change under the person's name); this
module only turns form text into the values it takes, and its refusals back into an error next to the
field they are about. A refusal it cannot place goes at the top of the form (`FORM`), so a bad value
is always shown in words and never becomes a server error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadorch.app.config.errors import InvalidConfiguration
from leadorch.app.config.hours import parse_weekly_hours
from leadorch.app.config.models import TouchTemplate
from leadorch.app.config.validation import dollars

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

FORM = "_form"
FormData = Mapping[str, Sequence[str]]  # a field's values, in the order the browser sent them
MAX_FIELD_CHARS = 20_000

_TENANT_FIELDS = {
    "tenant name": "name",
    "max sms segments": "max_sms_segments",
    "template for touch": "max_sms_segments",
    "live conversation": "live_conversation_minutes",
}
_LOCATION_FIELDS = {
    "location name": "name",
    "location phone": "phone",
    "location address": "address",
    "time zone": "time_zone",
    "capacity": "capacity",
    "minimum lead time": "min_lead_minutes",
    "slot granularity": "slot_granularity_minutes",
    "booking horizon": "booking_horizon_days",
    "technician": "technician_ids",
}
_WINDOW_FIELDS = {"sending window start": "start", "sending window end": "end", "sending window days": "days"}
_TEMPLATE_FIELDS = {
    "email.subject": "email_subject",
    "email.text": "email_text",
    "email.html": "email_html",
    "sms.body": "sms",
}
_TEMPLATE_PARTS = ("email_subject", "email_text", "email_html", "sms")


@dataclass(frozen=True)
class FormOutcome:
    """A saved form's notice, or the errors (field → message) that kept it from being saved."""

    notice: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def saved(self) -> bool:
        return not self.errors


def one(form: FormData, name: str) -> str:
    """The field's (last) value, or "" when the form did not send it."""
    values = form.get(name) or []
    value = values[-1] if values else ""
    return value[:MAX_FIELD_CHARS]


def many(form: FormData, name: str) -> list[str]:
    return [value[:MAX_FIELD_CHARS] for value in form.get(name) or []]


def refused(error: Exception, fields: Mapping[str, str]) -> FormOutcome:
    """The configuration's refusal, placed next to the field its message names (else on the form)."""
    message = str(error)
    lowered = message.lower()
    for words, name in fields.items():
        if words in lowered:
            return FormOutcome(errors={name: message})
    return FormOutcome(errors={FORM: message})


# ------------------------------------------------------------------------------------------ tenant


def save_tenant(container: Container, tenant_id: str, form: FormData, actor: str) -> FormOutcome:
    segments, problem = _whole(one(form, "max_sms_segments"), "max SMS segments")
    if problem:
        return FormOutcome(errors={"max_sms_segments": problem})
    answering: dict[str, Any] = {}
    if "live_conversation_minutes" in form:  # a page from before the field existed leaves it alone
        minutes, problem = _whole(one(form, "live_conversation_minutes"), "live conversation minutes")
        if problem:
            return FormOutcome(errors={"live_conversation_minutes": problem})
        answering["live_conversation_minutes"] = minutes
    answering.update(_answers(form))
    try:
        container.config.update_tenant(
            tenant_id, name=one(form, "name"), max_sms_segments=segments, actor=actor, **answering
        )
    except InvalidConfiguration as error:
        return refused(error, _TENANT_FIELDS)
    return FormOutcome(notice="Tenant settings saved.")


def _answers(form: FormData) -> dict[str, bool]:
    """The assistant-answers checkbox: sent only when ticked, so the page marks that it showed it (an
    older page, without the box, leaves the setting alone)."""
    if "assistant_answers_shown" not in form:
        return {}
    return {"assistant_answers_messages": one(form, "assistant_answers_messages") == "on"}


def set_demo_mode(
    container: Container, tenant_id: str, form: FormData, actor: str, *, by_operator: bool
) -> FormOutcome:
    """Demo mode on, or off: off only by the operator, who types the tenant's id in `confirm`
    (`OperatorOnly` for anyone else: the page answers 403 with the reason)."""
    choice = one(form, "demo_mode")
    if choice not in ("on", "off"):
        return FormOutcome(errors={"demo_mode": f"demo mode is 'on' or 'off', not {choice[:20]!r}"})
    try:
        container.config.set_demo_mode(
            tenant_id, choice == "on", actor=actor, by_operator=by_operator, confirm=one(form, "confirm")
        )
    except InvalidConfiguration as error:
        return FormOutcome(errors={"confirm": str(error)})
    if choice == "on":
        return FormOutcome(notice="Demo mode is on: only allow-listed addresses receive messages.")
    return FormOutcome(notice="Demo mode is off: messages now go to real customers.")


def allow_address(container: Container, tenant_id: str, form: FormData, actor: str) -> FormOutcome:
    try:
        container.config.allow_address(tenant_id, one(form, "address"), actor=actor)
    except InvalidConfiguration as error:
        return FormOutcome(errors={"address": str(error)})
    return FormOutcome(notice="Address added to the demo allow-list.")


def disallow_address(container: Container, tenant_id: str, form: FormData, actor: str) -> FormOutcome:
    try:
        container.config.disallow_address(tenant_id, one(form, "address"), actor=actor)
    except InvalidConfiguration as error:
        return FormOutcome(errors={"address": str(error)})
    return FormOutcome(notice="Address removed from the demo allow-list.")


# --------------------------------------------------------------------------------------- locations


def save_location(
    container: Container, tenant_id: str, location_id: str, form: FormData, actor: str
) -> FormOutcome:
    numbers: dict[str, int] = {}
    problems: dict[str, str] = {}
    for name, words in (
        ("capacity", "capacity (bays)"),
        ("min_lead_minutes", "minimum lead time in minutes"),
        ("slot_granularity_minutes", "slot granularity in minutes"),
        ("booking_horizon_days", "booking horizon in days"),
    ):
        if name == "booking_horizon_days" and name not in form:  # a page from before the field existed
            continue
        number, problem = _whole(one(form, name), words)
        if problem:
            problems[name] = problem
        elif number is not None:
            numbers[name] = number
    if problems:
        return FormOutcome(errors=problems)
    lists: dict[str, list[str]] = {}
    if "technician_ids" in form:  # a page from before the field existed leaves the list alone
        lists["technician_ids"] = [i for i in re.split(r"[,\s]+", one(form, "technician_ids")) if i]
    try:
        container.config.update_location(
            tenant_id,
            location_id,
            actor=actor,
            name=one(form, "name"),
            time_zone=one(form, "time_zone").strip(),
            phone=one(form, "phone").strip(),
            address=one(form, "address").strip(),
            **numbers,
            **lists,
            **_answers(form),
        )
    except InvalidConfiguration as error:
        return refused(error, _LOCATION_FIELDS)
    return FormOutcome(notice="Location saved.")


def save_hours(
    container: Container, tenant_id: str, location_id: str, form: FormData, actor: str
) -> FormOutcome:
    try:
        weekly = parse_weekly_hours(one(form, "hours"))
        container.config.set_hours(tenant_id, location_id, weekly, actor=actor)
    except InvalidConfiguration as error:
        return FormOutcome(errors={"hours": str(error)})
    return FormOutcome(notice="Opening hours saved.")


def save_window(
    container: Container, tenant_id: str, location_id: str, form: FormData, actor: str
) -> FormOutcome:
    days = many(form, "days")
    if not days:
        return FormOutcome(errors={"days": "tick at least one day messages may go out on"})
    try:
        container.config.set_sending_window(
            tenant_id, location_id, start=one(form, "start"), end=one(form, "end"), days=days, actor=actor
        )
    except InvalidConfiguration as error:
        return refused(error, _WINDOW_FIELDS)
    return FormOutcome(notice="Sending window saved.")


def save_prices(
    container: Container, tenant_id: str, location_id: str, form: FormData, actor: str
) -> FormOutcome:
    """Each service's price at the location: blank = the tenant-wide price, else this price."""
    config = container.config
    wanted: dict[str, int | None] = {}
    problems: dict[str, str] = {}
    entries = config.catalog(tenant_id, location_id)
    for entry in entries:
        typed = one(form, f"price:{entry.service_id}").strip()
        if not typed:
            wanted[entry.service_id] = None
            continue
        try:
            wanted[entry.service_id] = dollars(typed, f"price of {entry.name}")
        except InvalidConfiguration as error:
            problems[f"price:{entry.service_id}"] = str(error)
    if problems:
        return FormOutcome(errors=problems)
    changed = 0
    for entry in entries:
        price = wanted[entry.service_id]
        if price is None and not entry.price_overridden:
            continue
        if price is not None and entry.price_overridden and price == entry.price_cents:
            continue
        try:
            config.set_location_price(tenant_id, location_id, entry.service_id, price, actor=actor)
        except InvalidConfiguration as error:
            return FormOutcome(errors={f"price:{entry.service_id}": str(error)})
        changed += 1
    return FormOutcome(notice=f"Prices saved ({changed} changed).")


# --------------------------------------------------------------------------------------- templates


def save_template(
    container: Container, tenant_id: str, touch_number: int, form: FormData, actor: str
) -> FormOutcome:
    """The tenant's own wording for one touch; a part left as the default stays the default."""
    config = container.config
    tenant = config.tenant(tenant_id)
    defaults = _default_parts(touch_number)
    typed = {part: one(form, part).replace("\r\n", "\n") for part in _TEMPLATE_PARTS}
    own = TouchTemplate(
        **{part: (None if typed[part] == defaults[part] else typed[part]) for part in _TEMPLATE_PARTS}
    )
    templates = {number: template for number, template in tenant.templates.items() if number != touch_number}
    if own != TouchTemplate():
        templates[touch_number] = own
    try:
        config.set_templates(tenant_id, templates, actor=actor)
    except InvalidConfiguration as error:
        return refused(error, _TEMPLATE_FIELDS)
    return FormOutcome(notice=f"Templates of touch {touch_number} saved.")


def reset_template(container: Container, tenant_id: str, touch_number: int, actor: str) -> FormOutcome:
    config = container.config
    tenant = config.tenant(tenant_id)
    templates = {number: template for number, template in tenant.templates.items() if number != touch_number}
    try:
        config.set_templates(tenant_id, templates, actor=actor)
    except InvalidConfiguration as error:
        return FormOutcome(errors={FORM: str(error)})
    return FormOutcome(notice=f"Touch {touch_number} uses the default templates again.")


def _default_parts(touch_number: int) -> dict[str, str]:
    from leadorch.app.messages.defaults import DEFAULT_TEMPLATES

    base = DEFAULT_TEMPLATES.get(touch_number) or DEFAULT_TEMPLATES[max(DEFAULT_TEMPLATES)]
    return {
        "email_subject": base.email.subject,
        "email_text": base.email.text,
        "email_html": base.email.html,
        "sms": base.sms.body,
    }


def _whole(text: str, words: str) -> tuple[int | None, str | None]:
    """A whole number typed into a field, or the message saying it is not one."""
    cleaned = text.strip()
    if not cleaned:
        return None, f"{words} must not be empty"
    if not cleaned.lstrip("-").isdigit() or len(cleaned) > 9:
        return None, f"{words} must be a whole number, not {cleaned[:20]!r}"
    return int(cleaned), None


# Which function handles each form, by the name in its URL, and the key its errors are shown under
# (demo mode has its own handler: who may turn it off depends on the login, not only on the form).
DEMO_FORM = "demo"
TENANT_FORMS: dict[str, tuple[str, Any]] = {
    "tenant": ("tenant", save_tenant),
    "allow-list": ("allow", allow_address),
    "allow-list-remove": ("allow", disallow_address),
}
LOCATION_FORMS: dict[str, tuple[str, Any]] = {
    "shop": ("location", save_location),
    "hours": ("hours", save_hours),
    "window": ("window", save_window),
    "prices": ("prices", save_prices),
}
