"""Consent and repeat quotes end to end over real sockets: the API (uvicorn), the in-process worker on
Dramatiq's in-memory broker, SQLite, and the ShopMonkey, SendGrid and Twilio stand-ins.

A website quote of a customer whose only phone is a landline (the shared fixture, with its email
subscribed) becomes a lead that the worker's touch 1 reaches by email and never by text; the same
customer's second quote for the same vehicle joins that lead, so no second cadence starts.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta

from tests.conftest import shared_fixtures_dir
from tests.e2e.test_webhook_to_lead import api
from tests.support.shopmonkey_world import TENANT, drain, shopmonkey_world, start_runtime, wait_until

from leadorch.app.projections.wiring import catch_up
from leadorch.domain.values import Channel

DALE_EMAIL, DALE_PHONE = "dale.whitcomb@example.com", "+13055550187"
VEHICLE = "66a1f0c1b7e4d9a1c2f3e3b2"  # the fixture vehicle: both quotes are for it


def test_a_landline_customer_is_emailed_never_texted_and_their_second_quote_joins_the_lead(
    sqlite_url: str,
) -> None:
    landline = json.loads((shared_fixtures_dir() / "customer-landline-not-opted-in.json").read_text())["data"]
    with shopmonkey_world(sqlite_url) as world:
        customer = copy.deepcopy(landline)
        customer.update(marketingOptIn=True, emails=[{**landline["emails"][0], "subscribed": True}])
        world.shopmonkey.add_customer(customer)
        for address in (DALE_EMAIL, DALE_PHONE):
            world.container.config.allow_address(TENANT, address, actor="test")
        runtime, enqueued = start_runtime(world)
        with api(world.container) as post:
            first = world.new_quote("o-dale-1", customerId=customer["id"], vehicleId=VEHICLE)
            assert post(first, world.signed(first)).json() == {"status": "accepted"}
            drain(runtime)
            outbox = world.container.standins
            wait_until(lambda: any(DALE_EMAIL in mail.to for mail in outbox.sendgrid.outbox), what="touch 1")
            catch_up(world.container)
            world.clock.advance(timedelta(hours=1))
            second = world.new_quote(
                "o-dale-2",
                customerId=customer["id"],
                vehicleId=VEHICLE,
                complaint="Customer requested a quote online: Sunroof.",
            )
            assert post(second, world.signed(second)).json() == {"status": "accepted"}
            drain(runtime)

        lead = world.lead("o-dale-1")
        assert not lead.can_contact(Channel.SMS) and lead.can_contact(Channel.EMAIL)
        assert lead.consent_evidence[Channel.SMS].fields["phoneNumbers[0].type"] == "Landline"
        assert [sms for sms in outbox.twilio.outbox if sms.to == DALE_PHONE] == []
        assert lead.joined_orders == ("o-dale-2",) and "Sunroof" in lead.services
        assert len(world.events_of("Lead.Registered")) == 1
        assert len(world.events_of("TouchPointSchedule.Started")) == 1
        assert enqueued.counts["dispatch_touch"] == 1
