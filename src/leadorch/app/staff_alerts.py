"""Delivering one alert to a location's staff contacts, whatever it is about; and to the operator.

Staff hear about new leads and about customers who ask for a person; both alerts go the same way: one
email and/or one text per contact who asked for that kind of alert, demo mode honoured exactly as for
customers (an address off the tenant's allow-list is suppressed, not sent), the location's senders
(its own, else the deployment's defaults: `app/senders.py`), and a failed delivery reported as an outcome rather than raised, so one bad address
or provider hiccup never silences the other contacts or undoes what caused the alert. Each copy is
claimed before it is sent (`app/staff_alert_claims.py`), so the step that alerts may run again (a
retried delivery or job) without a contact hearing twice. Callers own only the words and the kind of
alert.

The operator (whoever runs the deployment: LEADORCH_OPERATOR_ALERT_EMAIL / _PHONE) is alerted the same
way, without a tenant: no demo-mode allow-list applies, and the deployment's default senders are used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from html import escape
from typing import TYPE_CHECKING

from leadorch.app.config.models import LocationConfig, StaffAlert, TenantConfig
from leadorch.app.senders import Senders
from leadorch.app.staff_alert_claims import StaffAlertClaims
from leadorch.ports.messaging import DeliveryError, EmailMessage, Messenger, SendReceipt, SmsMessage

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

SUPPRESSED_IN_DEMO = "demo mode: not on the allow-list"


@dataclass(frozen=True)
class AlertOutcome:
    """What happened to one alert: `sent`, `suppressed` (demo mode), `failed`, or `duplicate` (this
    copy was claimed by an earlier run of the alert: not sent again)."""

    channel: str
    to: str
    status: str
    detail: str = ""


@dataclass(frozen=True)
class StaffAlertMessage:
    """One alert, worded: what every contact who wants this `kind` of alert receives.

    `key` identifies this alert; each recipient's copy is keyed `{key}:{address}`. It comes from
    `senders` (the location's, defaults applied), the email under the name `sender_name`.
    """

    kind: StaffAlert
    lead_id: str
    subject: str
    body: str
    key: str
    sender_name: str
    senders: Senders


def console_link(public_base_url: str, lead_id: str) -> str:
    """The short link to a lead in the console; it redirects to the lead under its tenant."""
    return f"{public_base_url.rstrip('/')}/console/leads/{lead_id}"


def inbox_link(public_base_url: str, lead_id: str) -> str:
    """The short link to a lead's thread in the console's inbox, where staff answer the customer."""
    return f"{public_base_url.rstrip('/')}/console/inbox/{lead_id}"


def alert_location_staff(
    container: Container, tenant: TenantConfig, location: LocationConfig, alert: StaffAlertMessage
) -> list[AlertOutcome]:
    """`send_staff_alert` with the container's messenger, claims and clock: what a job calls."""
    return send_staff_alert(
        container.messenger,
        tenant,
        location,
        alert,
        claims=StaffAlertClaims(container.db),
        now=container.clock.now(),
    )


def send_staff_alert(
    messenger: Messenger,
    tenant: TenantConfig,
    location: LocationConfig,
    alert: StaffAlertMessage,
    *,
    claims: StaffAlertClaims,
    now: datetime,
) -> list[AlertOutcome]:
    """Alert every staff contact of `location` who wants `alert.kind` alerts, each copy once (claimed
    in `claims` before it is sent); returns what happened."""
    outcomes: list[AlertOutcome] = []
    for contact in location.staff_to_alert(alert.kind):
        if contact.email:
            email = partial(_email, messenger, tenant, location, contact.email, contact.name, alert)
            outcomes.append(_claimed(claims, tenant, alert, "email", contact.email, now, email))
        if contact.phone:
            text = partial(_sms, messenger, tenant, location, contact.phone, alert)
            outcomes.append(_claimed(claims, tenant, alert, "sms", contact.phone, now, text))
    for outcome in outcomes:
        log.info(
            "staff alert %s by %s %s",
            alert.kind,
            outcome.channel,
            outcome.status,
            extra={"tenant_id": tenant.tenant_id, "lead_id": alert.lead_id, "channel": outcome.channel},
        )
    return outcomes


def _claimed(
    claims: StaffAlertClaims,
    tenant: TenantConfig,
    alert: StaffAlertMessage,
    channel: str,
    to: str,
    now: datetime,
    send: Callable[[], AlertOutcome],
) -> AlertOutcome:
    """Send one copy if this run claims it; a copy the provider refused is given back for a retry."""
    if not tenant.may_message(to):  # suppressed in demo mode: nothing to claim
        return send()
    key = f"{alert.key}:{to}"
    if not claims.claim(
        key,
        tenant_id=tenant.tenant_id,
        kind=alert.kind,
        lead_id=alert.lead_id,
        channel=channel,
        recipient=to,
        now=now,
    ):
        return AlertOutcome(channel, to, "duplicate", "claimed by an earlier run of this alert")
    outcome = send()
    if outcome.status == "failed":
        claims.give_back(key)
    else:
        claims.settle(key, status=outcome.status, detail=outcome.detail)
    return outcome


def _email(
    messenger: Messenger,
    tenant: TenantConfig,
    location: LocationConfig,
    address: str,
    name: str,
    alert: StaffAlertMessage,
) -> AlertOutcome:
    if not tenant.may_message(address):
        return AlertOutcome("email", address, "suppressed", SUPPRESSED_IN_DEMO)
    message = EmailMessage(
        to=address,
        to_name=name,
        from_email=alert.senders.email_from,
        from_name=alert.sender_name,
        subject=alert.subject,
        text=alert.body,
        html="<p>" + "<br>".join(escape(line) for line in alert.body.splitlines()) + "</p>",
        custom_args={"tenant_id": tenant.tenant_id, "lead_id": alert.lead_id, "kind": f"staff_{alert.kind}"},
        categories=[f"staff-{alert.kind.replace('_', '-')}"],
        idempotency_key=f"{alert.key}:{address}",
    )
    return _deliver(alert.kind, "email", address, lambda: messenger.send_email(message))


def _sms(
    messenger: Messenger,
    tenant: TenantConfig,
    location: LocationConfig,
    number: str,
    alert: StaffAlertMessage,
) -> AlertOutcome:
    if not tenant.may_message(number):
        return AlertOutcome("sms", number, "suppressed", SUPPRESSED_IN_DEMO)
    message = SmsMessage(
        to=number,
        body=alert.body,
        from_number=alert.senders.sms_from_number,
        messaging_service_sid=alert.senders.messaging_service_sid,
        idempotency_key=f"{alert.key}:{number}",
    )
    return _deliver(alert.kind, "sms", number, lambda: messenger.send_sms(message))


@dataclass(frozen=True)
class OperatorAlertMessage:
    """One alert for the operator; `kind` names it in logs, `key` makes each copy idempotent."""

    kind: str
    subject: str
    body: str
    key: str
    senders: Senders


def send_operator_alert(
    messenger: Messenger, alert: OperatorAlertMessage, *, email: str | None, phone: str | None
) -> list[AlertOutcome]:
    """Send `alert` to the operator's email and/or phone (None: not that way); returns what happened."""
    outcomes = []
    if email:
        message = EmailMessage(
            to=email,
            from_email=alert.senders.email_from,
            from_name="Lead Orchestrator",
            subject=alert.subject,
            text=alert.body,
            html="<p>" + "<br>".join(escape(line) for line in alert.body.splitlines()) + "</p>",
            custom_args={"kind": f"operator_{alert.kind}"},
            categories=[f"operator-{alert.kind.replace('_', '-')}"],
            idempotency_key=f"{alert.key}:{email}",
        )
        outcomes.append(_deliver(alert.kind, "email", email, lambda: messenger.send_email(message)))
    if phone:
        text = SmsMessage(
            to=phone,
            body=f"{alert.subject}. {alert.body}",
            from_number=alert.senders.sms_from_number,
            messaging_service_sid=alert.senders.messaging_service_sid,
            idempotency_key=f"{alert.key}:{phone}",
        )
        outcomes.append(_deliver(alert.kind, "sms", phone, lambda: messenger.send_sms(text)))
    for outcome in outcomes:
        log.info("operator alert %s by %s %s", alert.kind, outcome.channel, outcome.status)
    return outcomes


def _deliver(kind: str, channel: str, to: str, send: Callable[[], SendReceipt]) -> AlertOutcome:
    try:
        receipt = send()
    except DeliveryError as error:
        log.warning("alert %s by %s failed: %s", kind, channel, error.reason)
        return AlertOutcome(channel, to, "failed", error.reason)
    except ValueError as misconfigured:  # e.g. no SMS sender number configured for the location
        log.error("alert %s by %s could not be sent: %s", kind, channel, misconfigured)
        return AlertOutcome(channel, to, "failed", str(misconfigured))
    return AlertOutcome(channel, to, "sent", receipt.provider_message_id)
