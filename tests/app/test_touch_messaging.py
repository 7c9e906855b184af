"""Which providers a deployment sends through: the real ones from its settings, or the stand-ins without."""

from __future__ import annotations

from leadorch.app.bootstrap import bootstrap
from leadorch.app.messaging import ChannelMessenger, twilio_auth_token
from leadorch.app.settings import load_settings
from leadorch.ports.messaging import EmailMessage, SmsMessage


def test_without_credentials_the_stand_ins_are_started_and_used_through_the_real_adapters(
    sqlite_url: str,
) -> None:
    container = bootstrap(load_settings({}, database_url=sqlite_url))
    try:
        messenger = container.messenger
        receipt = messenger.send_sms(SmsMessage(to="+15125550123", body="hello", idempotency_key="k1"))
        email = messenger.send_email(
            EmailMessage(
                to="jane@example.com",
                from_email="shop@example.com",
                from_name="Shop",
                subject="Hi",
                text="hello",
                html="<p>hello</p>",
                idempotency_key="k2",
            )
        )

        standins = container.standins
        assert standins is not None
        assert isinstance(messenger, ChannelMessenger)
        assert container.messenger is messenger
        assert [sms.sid for sms in standins.twilio.outbox] == [receipt.provider_message_id]
        assert [mail.message_id for mail in standins.sendgrid.outbox] == [email.provider_message_id]
        assert standins.sendgrid.outbox[0].custom_args["idempotency_key"] == "k2"
        assert twilio_auth_token(container) == standins.twilio.auth_token
    finally:
        container.close()


def test_with_credentials_the_configured_providers_are_used_and_no_stand_in_starts(sqlite_url: str) -> None:
    settings = load_settings(
        {},
        database_url=sqlite_url,
        sendgrid_api_key="SG.real",
        twilio_account_sid="AC" + "1" * 32,
        twilio_auth_token="real-token",
    )
    container = bootstrap(settings)
    try:
        assert container.standins is None
        assert twilio_auth_token(container) == "real-token"
    finally:
        container.close()
