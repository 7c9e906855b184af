"""The lead page's buttons: pause and resume the automation, hand the lead to the shop, settle an
uncertain touch. Each goes through the same use case as the API, then shows what happened (or the
domain's reason for refusing) on the lead page it redirects to."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from litestar.testing import TestClient
from tests.app.test_console_world import (
    ARRIVAL,
    AUSTIN,
    TENANT,
    ConsoleWorld,
    arrive,
    build_world,
    csrf_of,
    log_in,
)

from leadorch.app.http.app import create_app
from leadorch.app.projections.wiring import catch_up
from leadorch.app.readmodels.leads import get_lead
from leadorch.domain import ids
from leadorch.domain.conversation import Conversation
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.touches import TouchOutcome


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleWorld]:
    """One world for the file; each test acts on a different lead (or leaves it as it found it)."""
    built = build_world(f"sqlite:///{tmp_path_factory.mktemp('console-actions') / 'events.db'}")
    yield built
    built.container.close()


@pytest.fixture
def client(world: ConsoleWorld) -> Iterator[TestClient]:
    with TestClient(create_app(world.container), base_url="http://testserver.local") as test_client:
        log_in(test_client, world.tenant_token, name="Sam")
        yield test_client


def press(client: TestClient, lead_path: str, action: str, **fields: str) -> str:
    """Submit one of the lead page's forms as the browser would; returns the page it lands on."""
    csrf = csrf_of(client.get(lead_path).text)
    answer = client.post(f"{lead_path}/{action}", data={"csrf": csrf, **fields})
    assert answer.status_code == 200, answer.text
    assert str(answer.url).endswith(lead_path)
    return answer.text


def flash(page: str) -> str:
    found = re.search(r'<div class="flash flash-(\w+)"[^>]*>([^<]*)</div>', page)
    assert found is not None, "the page shows no notice"
    return f"{found.group(1)}: {found.group(2)}"


def test_pausing_and_resuming_the_automation(client: TestClient, world: ConsoleWorld) -> None:
    lead_path = f"/console/t/{TENANT}/leads/{world.leads['John']}"
    page = press(client, lead_path, "pause", reason="calling him back")
    assert flash(page).startswith("notice: Automation paused")
    assert "automation paused by Sam via console (tenant-token:sunshield)" in page
    assert 'id="resume"' in page and 'id="pause"' not in page
    view = get_lead(world.container.db, TENANT, world.leads["John"])
    assert view is not None and view.automation_paused and view.cadence == "paused"

    again = client.post(f"{lead_path}/pause", data={"csrf": csrf_of(page)})
    assert (
        flash(again.text)
        == "error: cannot pause automation: already paused by Sam via console (tenant-token:sunshield)"
    )

    page = press(client, lead_path, "resume")
    assert flash(page).startswith("notice: Automation resumed")
    view = get_lead(world.container.db, TENANT, world.leads["John"])
    assert view is not None and not view.automation_paused and view.cadence == "active"
    # the next page read the flash once: it is gone on reload
    assert 'class="flash' not in client.get(lead_path).text


def test_handing_a_lead_to_the_shop_needs_a_reason_and_a_lead_the_domain_allows(
    client: TestClient, world: ConsoleWorld
) -> None:
    maria = f"/console/t/{TENANT}/leads/{world.leads['Maria']}"
    assert (
        flash(press(client, maria, "hand-to-shop", reason="  "))
        == "error: say why the shop takes this lead over"
    )
    page = press(client, maria, "hand-to-shop", reason="she called the shop")
    assert flash(page) == "notice: Handed to the shop: the automation stopped for good."
    view = get_lead(world.container.db, TENANT, world.leads["Maria"])
    assert view is not None and view.status == "handled_by_shop"
    assert view.outcome_reason == "she called the shop (Sam via console (tenant-token:sunshield))"

    jane = f"/console/t/{TENANT}/leads/{world.leads['Jane']}"
    csrf = csrf_of(client.get(maria).text)
    refused = client.post(f"{jane}/hand-to-shop", data={"csrf": csrf, "reason": "try"})
    assert flash(refused.text).startswith("error: cannot hand to shop: lead already booked appointment")
    assert get_lead(world.container.db, TENANT, world.leads["Jane"]).status == "booked"  # type: ignore[union-attr]


def test_settling_an_uncertain_touch_records_the_answer_once(client: TestClient, world: ConsoleWorld) -> None:
    lead_path = f"/console/t/{TENANT}/leads/{world.leads['John']}"
    csrf = csrf_of(client.get(lead_path).text)
    refused = client.post(f"{lead_path}/touches/2/resolve", data={"csrf": csrf, "outcome": "maybe"})
    assert flash(refused.text) == "error: choose whether the message was sent or not"
    not_uncertain = client.post(f"{lead_path}/touches/1/resolve", data={"csrf": csrf, "outcome": "sent"})
    assert flash(not_uncertain.text) == "error: cannot resolve touch 1: it is not uncertain"

    page = press(client, lead_path, "touches/2/resolve", outcome="not_sent")
    assert flash(page) == "notice: Recorded that touch 2 was not sent."
    assert 'data-touch="2" data-channel="email" data-status="not_sent"' in page
    assert "settled by Sam via console (tenant-token:sunshield)" in page
    schedule = world.container.store.load(ids.schedule_id(world.leads["John"]), TouchPointSchedule, TENANT)
    assert schedule.history[2].outcomes == {"email": TouchOutcome.NOT_SENT}

    twice = client.post(f"{lead_path}/touches/2/resolve", data={"csrf": csrf_of(page), "outcome": "sent"})
    assert flash(twice.text) == "error: cannot resolve touch 2: it is not uncertain"


def test_buttons_on_a_lead_that_is_not_the_tenants_are_not_found(
    client: TestClient, world: ConsoleWorld
) -> None:
    csrf = csrf_of(client.get(f"/console/t/{TENANT}/leads").text)
    for action in ("pause", "resume", "touches/1/resolve"):
        answer = client.post(
            f"/console/t/{TENANT}/leads/{world.other_lead}/{action}", data={"csrf": csrf, "outcome": "sent"}
        )
        assert answer.status_code == 404
        assert "not found" in answer.text
    other = world.container.store.load(ids.schedule_id(world.other_lead), TouchPointSchedule, "othertint")
    assert other.paused_by is None


def test_what_customers_typed_is_shown_as_text_never_as_markup(
    client: TestClient, world: ConsoleWorld
) -> None:
    lead, schedule = arrive(world, "<script>alert(1)</script>", "<b>Bold</b>", AUSTIN, ARRIVAL, order="6666")
    lead.record_reply(channel="sms", text='<img src=x onerror="alert(2)">', at=ARRIVAL + timedelta(minutes=5))
    schedule.stop(reason="the customer replied by sms", now=ARRIVAL + timedelta(minutes=5))
    world.container.store.save(lead, schedule)
    catch_up(world.container)

    listing = client.get(f"/console/t/{TENANT}/leads?show=1&q=bold").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;Bold&lt;/b&gt;" in listing
    page = client.get(f"/console/t/{TENANT}/leads/{lead.id}?show=1").text
    assert "<script>alert(1)" not in page and "<b>Bold" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in page


def test_a_chat_shows_on_the_lead_page_with_contact_details_masked(
    client: TestClient, world: ConsoleWorld
) -> None:
    lead, schedule = arrive(world, "Ruth", "Chen", AUSTIN, ARRIVAL, order="7777")
    chat = Conversation.open(
        tenant_id=TENANT, lead_id=lead.id, location_id=AUSTIN, at=ARRIVAL + timedelta(minutes=3)
    )
    chat.record_link_opened(at=ARRIVAL + timedelta(minutes=3))
    chat.receive_customer_message(
        text="Price for ceramic? Email me at ruth.c@example.org", at=ARRIVAL + timedelta(minutes=4)
    )
    chat.record_tool_call(
        name="get_prices", tool_input={"services": ["ceramic"]}, result={"error": "catalog unavailable"},
        tool_use_id="toolu_1", step=0, is_error=True, at=ARRIVAL + timedelta(minutes=4),
    )  # fmt: skip
    chat.record_reply(
        text="Let me ask the shop.", slots=[], appointment=None, at=ARRIVAL + timedelta(minutes=5)
    )
    chat.hand_to_human(question="What does ceramic cost?", at=ARRIVAL + timedelta(minutes=5))
    lead.record_chat_started(session_id=str(chat.id), at=ARRIVAL + timedelta(minutes=4))
    world.container.store.save(lead, schedule, chat)
    catch_up(world.container)

    lead_path = f"/console/t/{TENANT}/leads/{lead.id}"
    page = client.get(lead_path).text
    talk = re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split('id="conversation"')[1].split("</section>")[0])
    )
    assert "Chat link opened 1 time." in talk
    assert "customer · chat" in talk and "Price for ceramic? Email me at r***@example.org" in talk
    assert "ruth.c@example.org" not in page
    assert "tool · chat" in talk and "ran get_prices (it failed)" in talk
    assert "assistant · chat" in talk and "Let me ask the shop." in talk
    assert "handed to the shop&#39;s staff: What does ceramic cost?" in talk
    assert "ruth.c@example.org" in client.get(f"{lead_path}?show=1").text
    assert 'data-event="Conversation.Customer message received"' in page  # the chat is in the timeline too
