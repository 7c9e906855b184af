"""Repeat quotes: a new website quote of the same customer and vehicle while one of their leads is open
joins that lead (services merged, one cadence, a timeline entry) instead of starting a second 13-touch
cadence. Webhooks through the real endpoint, ShopMonkey's stand-in on a socket; SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import threading
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.support.shopmonkey_world import CUSTOMER, TENANT, ShopMonkeyWorld, deliver

from leadorch.app.audit import lead_history
from leadorch.app.eventstore.store import NotFound
from leadorch.app.leads import use_cases
from leadorch.app.projections.wiring import catch_up
from leadorch.app.readmodels.leads import get_lead
from leadorch.domain.intake import IntakeOutcome
from leadorch.domain.lead import Lead
from leadorch.domain.values import LeadStatus

VEHICLE = "66a1f0c1b7e4d9a1c2f3e3b2"
WINDSHIELD = "Customer requested a quote online: Windshield strip."


def a_customer(world: ShopMonkeyWorld, customer_id: str) -> str:
    world.shopmonkey.add_customer({**copy.deepcopy(world.shopmonkey.customers[CUSTOMER]), "id": customer_id})
    return customer_id


def a_vehicle(world: ShopMonkeyWorld, vehicle_id: str) -> str:
    world.shopmonkey.add_vehicle({**copy.deepcopy(world.shopmonkey.vehicles[VEHICLE]), "id": vehicle_id})
    return vehicle_id


def quote(
    world: ShopMonkeyWorld,
    client: TestClient,
    order_id: str,
    customer: str,
    *,
    project: bool = True,
    **changes: Any,
) -> Any:
    """A website quote of `customer`, ten minutes after the last, delivered and decided; the read models
    then catch up (unless not `project`)."""
    world.clock.advance(timedelta(minutes=10))
    changes.setdefault("vehicleId", VEHICLE)
    decision = deliver(world, client, world.new_quote(order_id, customerId=customer, **changes))
    if project:
        catch_up(world.container)
    return decision


def later(world: ShopMonkeyWorld, minutes: int) -> str:
    return (world.clock.now() + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def schedules_started(world: ShopMonkeyWorld, lead: Lead) -> int:
    return sum(1 for e in world.events_of("TouchPointSchedule.Started") if e.lead_id == str(lead.id))


def test_a_repeat_quote_joins_the_open_lead_with_its_services_and_no_second_cadence(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world, customer = shopmonkey_module_world, a_customer(shopmonkey_module_world, "c-repeat")
    quote(world, shopmonkey_client, "o-repeat-1", customer)

    decision = quote(world, shopmonkey_client, "o-repeat-2", customer, complaint=WINDSHIELD)

    lead = world.lead("o-repeat-1")
    assert decision.outcome is IntakeOutcome.JOINED_LEAD and not decision.lead_created
    assert decision.lead_id == str(lead.id)
    assert "repeat quote" in decision.reasons[0]
    assert lead.services == ("Ceramic tint, all windows except windshield", "Windshield strip")
    assert lead.joined_orders == ("o-repeat-2",)
    with pytest.raises(NotFound):
        world.lead("o-repeat-2")
    assert schedules_started(world, lead) == 1
    assert world.schedule("o-repeat-1").is_active
    shown = get_lead(world.container.db, TENANT, str(lead.id))
    assert shown is not None and shown.services == list(lead.services)
    timeline = [(e.aggregate, e.event) for e in lead_history(world.container.store, lead.id).entries]
    assert ("Lead", "QuoteJoined") in timeline
    seen = [e for e in lead_history(world.container.store, lead.id).entries if e.event == "OrderVersionSeen"]
    assert [e.data["outcome"] for e in seen] == ["lead_created", "joined_lead"]


def test_a_later_version_of_the_repeat_quote_merges_what_it_adds_and_its_deletion_leaves_the_lead(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world, customer = shopmonkey_module_world, a_customer(shopmonkey_module_world, "c-repeat-update")
    quote(world, shopmonkey_client, "o-repeat-up-1", customer)
    quote(world, shopmonkey_client, "o-repeat-up-2", customer, complaint=WINDSHIELD)

    changed = world.shopmonkey.update_order(
        "o-repeat-up-2",
        complaint="Customer requested a quote online: Sunroof.",
        updatedDate=later(world, 1),
    )
    update = deliver(world, shopmonkey_client, world.order_body(changed, "UPDATE"))
    deleted = deliver(
        world,
        shopmonkey_client,
        world.order_body({**changed, "updatedDate": later(world, 2)}, "DELETE"),
    )

    assert (update.outcome, update.reasons) == (IntakeOutcome.LEAD_UPDATED, ("services",))
    lead = world.lead("o-repeat-up-1")
    assert lead.services == ("Ceramic tint, all windows except windshield", "Windshield strip", "Sunroof")
    assert lead.crm_order_id == "o-repeat-up-1"  # a repeat quote never moves the lead to its order
    assert deleted.outcome is IntakeOutcome.DELETED
    assert world.lead("o-repeat-up-1").status is LeadStatus.NEW  # not handed to the shop


def test_another_vehicle_of_the_same_customer_is_a_lead_of_its_own(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world, customer = shopmonkey_module_world, a_customer(shopmonkey_module_world, "c-two-cars")
    quote(world, shopmonkey_client, "o-car-1", customer)

    decision = quote(
        world, shopmonkey_client, "o-car-2", customer, vehicleId=a_vehicle(world, "v-second-car")
    )

    assert decision.outcome is IntakeOutcome.LEAD_CREATED
    assert world.lead("o-car-2").id != world.lead("o-car-1").id


def test_a_quote_after_the_customers_lead_closed_is_a_new_lead(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world, customer = shopmonkey_module_world, a_customer(shopmonkey_module_world, "c-came-back")
    quote(world, shopmonkey_client, "o-back-1", customer)
    use_cases.hand_to_shop(world.container, TENANT, world.lead_id_of("o-back-1"), "staff called the customer")
    catch_up(world.container)

    decision = quote(world, shopmonkey_client, "o-back-2", customer)

    assert decision.outcome is IntakeOutcome.LEAD_CREATED and decision.lead_created
    assert world.schedule("o-back-2").is_active


def test_a_quote_sent_twice_before_any_read_model_shows_the_first_lead_still_makes_one_lead(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world, customer = shopmonkey_module_world, a_customer(shopmonkey_module_world, "c-double-submit")
    first = quote(world, shopmonkey_client, "o-double-1", customer, project=False)

    second = quote(world, shopmonkey_client, "o-double-2", customer, project=False)

    assert first.outcome is IntakeOutcome.LEAD_CREATED
    assert (second.outcome, second.lead_id) == (IntakeOutcome.JOINED_LEAD, first.lead_id)


def test_two_quotes_of_one_customer_imported_at_the_same_moment_make_one_lead(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world, customer = shopmonkey_module_world, a_customer(shopmonkey_module_world, "c-together")
    request_ids = []
    for order_id in ("o-together-1", "o-together-2"):
        body = world.new_quote(order_id, customerId=customer, vehicleId=VEHICLE)
        headers = world.signed(body)
        answer = shopmonkey_client.post(f"/webhooks/shopmonkey/{TENANT}", content=body, headers=headers)
        assert answer.json() == {"status": "accepted"}
        request_ids.append(headers["X-Request-Id"])
    service = world.container.ingestion
    start = threading.Barrier(2)
    decisions: list[Any] = []

    def process(request_id: str) -> None:
        start.wait()
        decisions.append(service.process_delivery(request_id))

    threads = [threading.Thread(target=process, args=(request_id,)) for request_id in request_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    outcomes = sorted(decision.outcome.value for decision in decisions)
    assert outcomes == ["joined_lead", "lead_created"]
    assert len({decision.lead_id for decision in decisions}) == 1
