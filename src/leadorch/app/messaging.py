"""The deployment's `Messenger`: SendGrid for email and Twilio for SMS, or their stand-ins.

With credentials in the settings the real providers are used. Without them (the embedded default) the
SendGrid and Twilio stand-ins are started on loopback sockets by `bootstrap()` and the production
adapters talk to them through the official SDKs, so the demo runs the exact code path production runs,
and what would have been sent can be inspected in the stand-ins' outboxes
(`container.standins`). Starting them logs one warning saying so.

A deployment (a real LEADORCH_SECRET_KEY) must not fall back to the stand-ins unnoticed: no customer
would get a message and nothing would look wrong. `check_messaging_settings` refuses it at start-up
with a `SettingsError` naming the missing settings, unless LEADORCH_ALLOW_MESSAGING_STANDINS says the
stand-ins are meant (then it warns).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from leadorch.app.senders import every_location
from leadorch.app.settings import ENV_NAMES, Settings, SettingsError
from leadorch.ports.messaging import (
    EmailMessage,
    EmailSender,
    Messenger,
    ProviderAnswer,
    SendReceipt,
    SmsMessage,
    SmsSender,
)

if TYPE_CHECKING:
    from leadorch.adapters.standins.server import RunningServer
    from leadorch.app.bootstrap import Container
    from leadorch.app.config.service import ConfigService

log = logging.getLogger(__name__)

# Which provider carries each channel (the key of its circuit, `touches/provider_circuit.py`).
PROVIDER_FOR_CHANNEL: dict[str, str] = {"email": "sendgrid", "sms": "twilio"}

# The stand-in's sender for a location that has no number of its own (the embedded default only).
STANDIN_FROM_NUMBER = "+15005550006"  # the stand-in's TEST_FROM_NUMBER, which its account owns


@dataclass(frozen=True)
class ChannelMessenger:
    """A `Messenger` made of one email sender and one SMS sender."""

    email: EmailSender
    sms: SmsSender

    def send_email(self, msg: EmailMessage) -> SendReceipt:
        return self.email.send_email(msg)

    def send_sms(self, msg: SmsMessage) -> SendReceipt:
        return self.sms.send_sms(msg)

    def check_email_credentials(self) -> None:
        self.email.check_email_credentials()

    def check_sms_credentials(self) -> None:
        self.sms.check_sms_credentials()

    def was_sms_accepted(self, *, to: str, body: str, since: datetime) -> ProviderAnswer:
        return self.sms.was_sms_accepted(to=to, body=body, since=since)


class NoMessaging(RuntimeError):
    """Raised by `SendsNothing`: this process was built to send nothing (a wiring mistake, not a delivery error)."""


@dataclass(frozen=True)
class SendsNothing:
    """The `Messenger` of a process that sends nothing (`bootstrap(messaging=False)`: operator commands).

    Such a command (projections, audit, configuration) needs neither the providers' SDKs nor the
    stand-ins, which cost it more than its own work; a send reaching it is a wiring mistake, refused.
    """

    def _refuse(self) -> NoReturn:
        raise NoMessaging("this process was built without messaging (bootstrap(messaging=False))")

    def send_email(self, msg: EmailMessage) -> SendReceipt:
        self._refuse()

    def send_sms(self, msg: SmsMessage) -> SendReceipt:
        self._refuse()

    def check_email_credentials(self) -> None:
        self._refuse()

    def check_sms_credentials(self) -> None:
        self._refuse()

    def was_sms_accepted(self, *, to: str, body: str, since: datetime) -> ProviderAnswer:
        self._refuse()


def check_provider_credentials(messenger: Messenger, provider: str) -> None:
    """Ask `provider` (a key of `PROVIDER_FOR_CHANNEL`'s values) whether it takes our credentials."""
    if provider == PROVIDER_FOR_CHANNEL["email"]:
        messenger.check_email_credentials()
    elif provider == PROVIDER_FOR_CHANNEL["sms"]:
        messenger.check_sms_credentials()
    else:
        raise ValueError(f"no messaging provider {provider!r}")


@dataclass
class StandIns:
    """The provider stand-ins a deployment without credentials sends through."""

    sendgrid: Any
    twilio: Any
    sendgrid_url: str
    twilio_url: str
    twilio_account_sid: str
    twilio_auth_token: str
    sendgrid_api_key: str
    servers: list[RunningServer] = field(default_factory=list)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def missing_messaging_settings(settings: Settings) -> list[str]:
    """The environment names of the SendGrid and Twilio credentials that are not set."""
    missing = [] if settings.sendgrid_api_key else ["sendgrid_api_key"]
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        missing += [
            name for name in ("twilio_account_sid", "twilio_auth_token") if not getattr(settings, name)
        ]
    return [ENV_NAMES[name] for name in missing]


def check_messaging_settings(settings: Settings) -> None:
    """Refuse a deployment that would send to the stand-ins without saying so; warn when it is allowed.

    The embedded default (no LEADORCH_SECRET_KEY) is the demo: stand-ins are its point, and they
    announce themselves when they start.
    """
    missing = missing_messaging_settings(settings)
    if not missing or not settings.is_production_secret:
        return
    allow = ENV_NAMES["allow_messaging_standins"]
    if not settings.allow_messaging_standins:
        raise SettingsError(
            f"{', '.join(missing)} not set: email and SMS would go to local stand-ins and reach no "
            f"customer. Set them, or set {allow}=true to run with the stand-ins on purpose"
        )
    log.warning(
        "%s not set and %s=true: email and SMS go to local stand-ins, no customer receives them",
        ", ".join(missing),
        allow,
    )


def twilio_auth_token(container: Container) -> str | None:
    """The token Twilio signs webhooks with: the account's, or the stand-in's in a deployment without one."""
    settings = container.settings
    if settings.twilio_auth_token:
        return str(settings.twilio_auth_token)
    if settings.twilio_account_sid is None and container.standins is not None:
        return container.standins.twilio_auth_token
    return None


def build_messenger(settings: Settings, standins: StandIns | None) -> Messenger:
    """The real providers where credentials are set, the stand-ins (`standins`) for the rest.

    The providers' SDKs are imported here, not with this module: a process that sends nothing (an
    operator command, `bootstrap(messaging=False)`) never pays for them.
    """
    from leadorch.adapters.sendgrid import SendGridEmailSender
    from leadorch.adapters.twilio import TwilioSmsSender

    timeout = settings.provider_timeout_seconds  # past it, a send is unconfirmed: never retried
    to_standins: list[str] = []
    if settings.sendgrid_api_key:
        email: EmailSender = SendGridEmailSender(
            settings.sendgrid_api_key, host=settings.sendgrid_host, timeout=timeout
        )
    else:
        assert standins is not None, "bootstrap starts the stand-ins when a credential is missing"
        email = SendGridEmailSender(standins.sendgrid_api_key, host=standins.sendgrid_url, timeout=timeout)
        to_standins.append(f"email to the SendGrid stand-in's outbox at {standins.sendgrid_url}")
    if settings.twilio_account_sid and settings.twilio_auth_token:
        # Every message names its sender: the location's, else the deployment's default (`app/senders.py`).
        sms: SmsSender = TwilioSmsSender(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            base_url=settings.twilio_base_url,
            timeout=timeout,
        )
    else:
        assert standins is not None, "bootstrap starts the stand-ins when a credential is missing"
        sms = TwilioSmsSender(
            standins.twilio_account_sid,
            standins.twilio_auth_token,
            from_number=STANDIN_FROM_NUMBER,
            base_url=standins.twilio_url,
            timeout=timeout,
        )
        to_standins.append(f"SMS to the Twilio stand-in's outbox at {standins.twilio_url}")
    if to_standins:
        log.warning(
            "messages go to local stand-ins, not to customers: %s (%s not set)",
            " and ".join(to_standins),
            ", ".join(missing_messaging_settings(settings)),
        )
    return ChannelMessenger(email=email, sms=sms)


def configured_sms_senders(settings: Settings, config: ConfigService) -> set[str]:
    """The stand-in's own number, the default sender and every location's number, as configured now."""
    numbers = {STANDIN_FROM_NUMBER}
    if settings.default_sms_from:
        numbers.add(settings.default_sms_from)
    numbers.update(
        location.sms_from_number for location in every_location(config) if location.sms_from_number
    )
    return numbers


def start_standins(
    settings: Settings, config: ConfigService, *, clock: Callable[[], datetime] | None = None
) -> StandIns:
    """Start the SendGrid and Twilio stand-ins on loopback sockets (stopped by `StandIns.stop`).

    The stand-in account owns what this deployment is configured to send from, as a real one would,
    read at each send: a location added after start sends from its own number too.
    """
    from leadorch.adapters.standins.sendgrid import SendGridStandIn
    from leadorch.adapters.standins.server import serve_in_thread
    from leadorch.adapters.standins.twilio import TwilioStandIn

    sendgrid = SendGridStandIn()
    twilio = TwilioStandIn(also_owns=lambda: configured_sms_senders(settings, config), clock=clock)
    if settings.default_messaging_service_sid:
        twilio.add_messaging_service(settings.default_messaging_service_sid)
    sendgrid_server = serve_in_thread(sendgrid.app)
    twilio_server = serve_in_thread(twilio.app)
    return StandIns(
        sendgrid=sendgrid,
        twilio=twilio,
        sendgrid_url=sendgrid_server.url,
        twilio_url=twilio_server.url,
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=twilio.auth_token,
        sendgrid_api_key=sendgrid.api_key,
        servers=[sendgrid_server, twilio_server],
    )
