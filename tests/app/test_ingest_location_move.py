"""The CRM moves a lead to another of the tenant's shops: its running cadence is sent by that shop's terms.

The schedule keeps the sending window and time zone it was started with; a re-import whose order names
another configured location moves the lead (`Lead.DetailsUpdated` with `location_id`) and re-plans the
next touch in the new shop's window, on its clocks (`TouchPointSchedule.SendingTermsChanged`). Webhooks
through the real endpoint, ShopMonkey's stand-in on a socket. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from litestar.testing import TestClient
from tests.support.shopmonkey_world import TENANT, ShopMonkeyWorld, deliver

from leadorch.app.audit import lead_history
from leadorch.app.config.errors import ConfigNotFound
from leadorch.app.config.models import SendingWindowConfig
from leadorch.app.projections.wiring import catch_up
from leadorch.app.touches.work_lists import open_schedules_at
from leadorch.domain.intake import IntakeOutcome

BROOKLYN = "brooklyn"
BROOKLYN_CRM = "5f00000000000000000000b1"
NEW_YORK = ZoneInfo("America/New_York")


def a_brooklyn_shop(world: ShopMonkeyWorld) -> None:
    """A second shop, three hours ahead of San Diego, that texts only from 10:00 to 14:00."""
    try:
        world.container.config.location(TENANT, BROOKLYN)
    except ConfigNotFound:
        world.container.config.add_location(
            TENANT,
            BROOKLYN,
            name="Tint World Brooklyn",
            crm_location_id=BROOKLYN_CRM,
            time_zone="America/New_York",
            window=SendingWindowConfig(start="10:00", end="14:00"),
            actor="test",
        )


def moved_to(world: ShopMonkeyWorld, order_id: str, crm_location_id: str, minutes: int) -> bytes:
    row = world.shopmonkey.update_order(
        order_id,
        locationId=crm_location_id,
        updatedDate=(world.clock.now() + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    )
    return world.order_body(row, "UPDATE")


def test_a_lead_moved_to_another_shop_is_planned_in_that_shops_window_and_zone(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world = shopmonkey_module_world
    a_brooklyn_shop(world)
    deliver(world, shopmonkey_client, world.new_quote("o-moved-shop"))
    before = world.schedule("o-moved-shop")
    assert (before.location_id, before.time_zone) == ("san-diego", "America/Los_Angeles")

    decision = deliver(world, shopmonkey_client, moved_to(world, "o-moved-shop", BROOKLYN_CRM, minutes=1))

    assert decision.outcome is IntakeOutcome.LEAD_UPDATED and "location_id" in decision.reasons
    assert world.lead("o-moved-shop").location_id == BROOKLYN
    schedule = world.schedule("o-moved-shop")
    assert (schedule.location_id, schedule.time_zone) == (BROOKLYN, "America/New_York")
    assert (schedule.window.start, schedule.window.end) == (time(10), time(14))
    due = schedule.next_due_at
    assert due is not None and due >= world.clock.now()
    assert time(10) <= due.astimezone(NEW_YORK).time() <= time(14)
    catch_up(world.container)
    found = {ref.schedule_id for ref in open_schedules_at(world.container.db, TENANT, BROOKLYN)}
    assert str(schedule.id) in found, "the touch engine's read model lists it under its new shop"

    again = deliver(world, shopmonkey_client, moved_to(world, "o-moved-shop", BROOKLYN_CRM, minutes=2))
    assert again.outcome is IntakeOutcome.UNCHANGED
    history = lead_history(world.container.store, schedule.lead_id).entries
    changed = [entry for entry in history if entry.event == "SendingTermsChanged"]
    assert [(entry.data["location_id"], entry.data["time_zone"]) for entry in changed] == [
        (BROOKLYN, "America/New_York")
    ]  # once, for the one move


def test_an_order_moved_to_a_location_we_do_not_serve_leaves_the_cadence_where_it_is(
    shopmonkey_module_world: ShopMonkeyWorld, shopmonkey_client: TestClient
) -> None:
    world = shopmonkey_module_world
    deliver(world, shopmonkey_client, world.new_quote("o-moved-away"))
    before = world.schedule("o-moved-away")

    deliver(world, shopmonkey_client, moved_to(world, "o-moved-away", "5f0000000000000000000000", minutes=1))

    schedule = world.schedule("o-moved-away")
    assert (schedule.location_id, schedule.window, schedule.time_zone) == (
        before.location_id,
        before.window,
        before.time_zone,
    )
    assert schedule.next_due_at == before.next_due_at
