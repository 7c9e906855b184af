"""Consent on record, from the ShopMonkey customer to the messages that go out (or do not).

A lead carries where each channel's consent came from: the ShopMonkey fields seen, `optInVerifiedDate`,
when we read them. A landline or a number without `optIn` is never texted; the corrected fixture
customer imports with SMS consent; a re-import of a changed customer changes consent through
`Lead.ConsentChanged` and the cadence follows. Webhooks through the real endpoint, ShopMonkey's
stand-in on a socket, touches through the SendGrid and Twilio stand-ins. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient
from tests.conftest import shared_fixtures_dir
from tests.support.shopmonkey_world import TENANT, ShopMonkeyWorld, deliver

from leadorch.app.audit import lead_history
from leadorch.app.projections.wiring import catch_up
from leadorch.app.readmodels.leads import get_lead
from leadorch.app.touches.dispatch import dispatch_touch
from leadorch.domain import ids
from leadorch.domain.intake import IntakeOutcome
from leadorch.domain.values import Channel

MAYA_VERIFIED = datetime(2026, 11, 20, 17, 42, 4, 551000, tzinfo=UTC)


def fixture_customer(name: str) -> dict[str, Any]:
    return json.loads((shared_fixtures_dir() / f"{name}.json").read_text(encoding="utf-8"))["data"]


def a_customer(world: ShopMonkeyWorld, customer_id: str, fixture: str = "customer", **changes: Any) -> dict:
    row = copy.deepcopy(fixture_customer(fixture))
    row.update(changes, id=customer_id)
    return world.shopmonkey.add_customer(row)


def with_phone(row: dict, **changes: Any) -> list[dict]:
    return [{**row["phoneNumbers"][0], **changes}]


def update_of(world: ShopMonkeyWorld, order_id: str, minutes: int) -> bytes:
    """The order's next version (nothing the lead rule reads changed), as its UPDATE webhook."""
    row = world.shopmonkey.update_order(
        order_id,
        updatedDate=(world.clock.now() + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    )
    return world.order_body(row, "UPDATE")


def texts_to(world: ShopMonkeyWorld, number: str) -> list[Any]:
    return [sms for sms in world.container.standins.twilio.outbox if sms.to == number]


def emails_to(world: ShopMonkeyWorld, address: str) -> list[Any]:
    return [mail for mail in world.container.standins.sendgrid.outbox if address in mail.to]


def test_the_corrected_fixture_customer_imports_with_sms_consent_and_its_evidence(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world = shopmonkey_module_world

    deliver(world, shopmonkey_client, world.new_quote("o-consent-maya"))

    lead = world.lead("o-consent-maya")
    assert lead.can_contact(Channel.SMS) and lead.can_contact(Channel.EMAIL)
    sms = lead.consent_evidence[Channel.SMS]
    assert (sms.granted, sms.source, sms.verified_at) == (True, "shopmonkey", MAYA_VERIFIED)
    assert sms.observed_at == world.clock.now()
    assert sms.fields["phoneNumbers[0].optIn"] is True
    assert sms.fields["phoneNumbers[0].type"] == "Mobile"
    assert sms.fields["phoneNumbers[0].optInVerifiedDate"] == "2026-11-20T17:42:04.551Z"
    email = lead.consent_evidence[Channel.EMAIL]
    assert (email.granted, email.fields["emails[0].subscribed"]) == (True, True)
    # the audit shows it as recorded
    (registered,) = [
        e for e in lead_history(world.container.store, lead.id).entries if e.event == "Registered"
    ]
    recorded = {item["channel"]: item for item in registered.data["consent_evidence"]}
    assert recorded["sms"]["fields"]["phoneNumbers[0].type"] == "Mobile"
    assert recorded["sms"]["verified_at"] == MAYA_VERIFIED.isoformat()


def test_a_landline_is_never_texted_while_its_subscribed_email_is_written_to(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world = shopmonkey_module_world
    landline = fixture_customer("customer-landline-not-opted-in")
    a_customer(
        world,
        "c-landline",
        "customer-landline-not-opted-in",
        marketingOptIn=True,
        emails=[{**landline["emails"][0], "subscribed": True}],
        # even a landline flagged optIn by mistake is never texted
        phoneNumbers=with_phone(landline, optIn=True),
    )
    for address in ("dale.whitcomb@example.com", "+13055550187"):  # demo mode would hold them back
        world.container.config.allow_address(TENANT, address, actor="test")

    deliver(world, shopmonkey_client, world.new_quote("o-landline", customerId="c-landline"))
    result = dispatch_touch(world.container, TENANT, str(ids.schedule_id(world.lead_id_of("o-landline"))))

    lead = world.lead("o-landline")
    assert not lead.can_contact(Channel.SMS)
    assert lead.consent_evidence[Channel.SMS].fields["phoneNumbers[0].type"] == "Landline"
    assert result.outcomes == {"email": "sent"}
    assert texts_to(world, "+13055550187") == []
    assert len(emails_to(world, "dale.whitcomb@example.com")) == 1


def test_a_mobile_without_opt_in_is_not_texted_until_the_crm_opts_it_in(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world = shopmonkey_module_world
    maya = fixture_customer("customer")
    a_customer(world, "c-no-opt-in", phoneNumbers=with_phone(maya, optIn=None, optInVerifiedDate=None))
    deliver(world, shopmonkey_client, world.new_quote("o-no-opt-in", customerId="c-no-opt-in"))
    schedule_id = str(ids.schedule_id(world.lead_id_of("o-no-opt-in")))
    assert dispatch_touch(world.container, TENANT, schedule_id).outcomes == {"email": "sent"}
    assert Channel.SMS not in world.schedule("o-no-opt-in").enabled_channels

    world.shopmonkey.update_customer("c-no-opt-in", phoneNumbers=with_phone(maya))  # staff record the opt-in
    decision = deliver(world, shopmonkey_client, update_of(world, "o-no-opt-in", minutes=1))

    assert (decision.outcome, decision.reasons) == (IntakeOutcome.LEAD_UPDATED, ("sms_consent",))
    lead = world.lead("o-no-opt-in")
    assert lead.can_contact(Channel.SMS)
    assert lead.consent_evidence[Channel.SMS].verified_at == MAYA_VERIFIED
    assert Channel.SMS in world.schedule("o-no-opt-in").enabled_channels
    catch_up(world.container)
    shown = get_lead(world.container.db, TENANT, str(lead.id))
    assert shown is not None and shown.sms_consent
    changed = [e for e in lead_history(world.container.store, lead.id).entries if e.event == "ConsentChanged"]
    assert [(e.data["channel"], e.data["granted"]) for e in changed] == [("sms", True)]
    assert changed[0].data["evidence"]["fields"]["phoneNumbers[0].optIn"] is True


def test_consent_withdrawn_in_the_crm_stops_the_texts_and_the_same_customer_read_again_changes_nothing(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world = shopmonkey_module_world
    maya = fixture_customer("customer")
    a_customer(world, "c-withdrawn")
    deliver(world, shopmonkey_client, world.new_quote("o-withdrawn", customerId="c-withdrawn"))

    world.shopmonkey.update_customer("c-withdrawn", phoneNumbers=with_phone(maya, optIn=False))
    withdrawn = deliver(world, shopmonkey_client, update_of(world, "o-withdrawn", minutes=1))
    again = deliver(world, shopmonkey_client, update_of(world, "o-withdrawn", minutes=2))

    assert (withdrawn.outcome, withdrawn.reasons) == (IntakeOutcome.LEAD_UPDATED, ("sms_consent",))
    assert again.outcome is IntakeOutcome.UNCHANGED
    assert not world.lead("o-withdrawn").can_contact(Channel.SMS)
    assert Channel.SMS not in world.schedule("o-withdrawn").enabled_channels
    assert world.schedule("o-withdrawn").is_active  # email goes on


def test_the_crm_never_undoes_a_customers_stop(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    from leadorch.app.leads import use_cases

    world = shopmonkey_module_world
    maya = fixture_customer("customer")
    a_customer(world, "c-stopped")
    deliver(world, shopmonkey_client, world.new_quote("o-stopped", customerId="c-stopped"))
    use_cases.opt_out(world.container, TENANT, world.lead_id_of("o-stopped"), Channel.SMS, "STOP")

    reverified = with_phone(maya, optInVerifiedDate="2026-11-21T10:00:00.000Z")
    world.shopmonkey.update_customer("c-stopped", phoneNumbers=reverified)
    decision = deliver(world, shopmonkey_client, update_of(world, "o-stopped", minutes=1))

    assert (decision.outcome, decision.reasons) == (IntakeOutcome.LEAD_UPDATED, ("sms_consent_evidence",))
    lead = world.lead("o-stopped")
    assert not lead.can_contact(Channel.SMS)
    assert lead.consent_evidence[Channel.SMS].verified_at == datetime(2026, 11, 21, 10, tzinfo=UTC)


def test_a_new_phone_number_in_the_crm_moves_the_cadences_sending_rules_with_it(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    """A customer who moved from San Diego (619) to Miami (305): from the re-import on, the schedule's
    recipient is Florida's, so the next touch is planned (and claimed) by Florida's hours and cap."""
    world = shopmonkey_module_world
    maya = fixture_customer("customer")
    a_customer(world, "c-moved")
    deliver(world, shopmonkey_client, world.new_quote("o-moved", customerId="c-moved"))
    before = world.schedule("o-moved").recipient

    world.shopmonkey.update_customer("c-moved", phoneNumbers=with_phone(maya, number="(305) 555-0142"))
    decision = deliver(world, shopmonkey_client, update_of(world, "o-moved", minutes=1))

    assert decision.outcome is IntakeOutcome.LEAD_UPDATED and "phone" in decision.reasons
    assert world.lead("o-moved").contact.phone == "+13055550142"
    schedule = world.schedule("o-moved")
    assert (before.state, before.zones) == ("CA", ("America/Los_Angeles",))
    assert (schedule.recipient.state, schedule.recipient.zones) == ("FL", ("America/New_York",))
    assert [rule.rule_id for rule in schedule.terms.rules] == ["US-TCPA-calling-hours", "FL-501.059"]
    assert schedule.next_due_at is not None and schedule.terms.admits(schedule.next_due_at)
    again = deliver(world, shopmonkey_client, update_of(world, "o-moved", minutes=2))
    assert again.outcome is IntakeOutcome.UNCHANGED
    history = lead_history(world.container.store, schedule.lead_id).entries
    changed = [entry for entry in history if entry.event == "RecipientChanged"]
    assert [entry.data["recipient"]["state"] for entry in changed] == ["FL"]  # once, for the one change
