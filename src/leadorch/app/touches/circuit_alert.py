"""Telling the operator that a provider refuses our credentials: once per opening, never per touch.

The circuit (`provider_circuit.py`) says which refusal opened it; only that one alerts. The alert is an
ERROR log line with `alert=operator` (what log-based paging watches), and, when the deployment names
its operator (LEADORCH_OPERATOR_ALERT_EMAIL / LEADORCH_OPERATOR_ALERT_PHONE), a message through the
staff-alert delivery (`app/staff_alerts.py`) by the channels whose provider still works: an email when
Twilio refuses us, a text when SendGrid does. A failed alert is logged, never raised: the touch that
found the refusal has already been recorded.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from leadorch.app.messaging import PROVIDER_FOR_CHANNEL
from leadorch.app.senders import deployment_senders
from leadorch.app.staff_alerts import AlertOutcome, OperatorAlertMessage, send_operator_alert

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

ALERT_KIND = "provider_refused_credentials"


def alert_operator_of_refusal(
    container: Container, provider: str, reason: str, *, until: datetime
) -> list[AlertOutcome]:
    """Alert the operator that `provider` refused our credentials and sending through it is paused."""
    log.error(
        "%s refused our credentials (%s): sending through it is paused (next check at %s); no lead's channel "
        "is disabled. Fix the %s credentials",
        provider,
        reason,
        until.isoformat(),
        provider,
        extra={"fields": {"alert": "operator", "provider": provider}},
    )
    settings = container.settings
    email = settings.operator_alert_email if provider != PROVIDER_FOR_CHANNEL["email"] else None
    phone = settings.operator_alert_phone if provider != PROVIDER_FOR_CHANNEL["sms"] else None
    if not (email or phone):
        return []
    alert = OperatorAlertMessage(
        kind=ALERT_KIND,
        subject=f"{provider} refuses our credentials: sending through it is paused",
        body=(
            f"{provider} answered: {reason}\n"
            f"Nothing goes out through {provider} until it accepts the credentials again (checked from "
            f"{until.isoformat()}, then less and less often); no customer's channel is disabled and the "
            f"touches waiting go out once it does.\nFix the {provider} credentials of the deployment."
        ),
        key=f"operator-circuit:{provider}:{until.isoformat()}",
        senders=deployment_senders(settings),
    )
    try:
        return send_operator_alert(container.messenger, alert, email=email, phone=phone)
    except Exception:
        log.exception("the operator alert about %s could not be sent", provider)
        return []
