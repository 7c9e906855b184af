"""A customer's address is masked the same way on every console page that shows it: the lead list, the
lead page (contact box, touches, conversation, timeline and its raw fields) and the outbox. The lead
here has its phone and email inside free text too, as dispatch and the providers write them: a
suppression's reason, a provider's refusal, the customer's own reply."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from litestar.testing import TestClient
from tests.app.test_console_pages import section
from tests.app.test_console_world import (
    ADMIN_TOKEN,
    ARRIVAL,
    AUSTIN,
    TENANT,
    ConsoleWorld,
    arrive,
    build_world,
    log_in,
)

from leadorch.app.audit import mask_text
from leadorch.app.console import display
from leadorch.app.http.app import create_app
from leadorch.app.projections.wiring import catch_up

PHONE = "+15125551777"  # what the world's `arrive` gives order 1777
EMAIL = "kim@example.com"
WRITTEN_PHONE = "(512) 555-1777"
MASKED_PHONE = "+1******1777"
MASKED_EMAIL = "k***@example.com"
# Every way the address is written on the lead: none of them may reach a masked page.
FULL_FORMS = (PHONE, EMAIL, WRITTEN_PHONE, "512-555-1777", "5125551777", "kim@")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleWorld]:
    built = build_world(f"sqlite:///{tmp_path_factory.mktemp('console-masking') / 'events.db'}")
    lead, schedule = arrive(built, "Kim", "Lee", AUSTIN, ARRIVAL + timedelta(seconds=5), order="1777")
    assert (lead.contact.email, lead.contact.phone) == (EMAIL, PHONE)
    at = ARRIVAL + timedelta(minutes=1)
    schedule.claim_next_touch(now=at, claim_id="claim-kim-1")
    schedule.record_suppressed(
        touch_number=1, channel="sms", reason=f"demo mode: {PHONE} is not on the tenant's allow-list", now=at
    )
    schedule.record_failed(
        touch_number=1,
        channel="email",
        reason=f"550 5.1.1 <{EMAIL}>: mailbox unavailable",
        retriable=False,
        now=at,
    )
    lead.record_reply(
        channel="sms", text=f"call me at {WRITTEN_PHONE} or {EMAIL}", at=at + timedelta(hours=1)
    )
    built.container.store.save(lead, schedule)
    catch_up(built.container)
    built.leads["Kim"] = str(lead.id)
    yield built
    built.container.close()


@pytest.fixture(scope="module")
def client(world: ConsoleWorld) -> Iterator[TestClient]:
    with TestClient(create_app(world.container), base_url="http://testserver.local") as test_client:
        log_in(test_client, ADMIN_TOKEN)
        yield test_client


def pages(world: ConsoleWorld) -> dict[str, str]:
    lead = world.leads["Kim"]
    return {
        "lead list": f"/console/t/{TENANT}/leads",
        "lead list found by phone": f"/console/t/{TENANT}/leads?q=1777",
        "lead page": f"/console/t/{TENANT}/leads/{lead}",
        "outbox": f"/console/t/{TENANT}/outbox",
        "outbox of text messages": f"/console/t/{TENANT}/outbox?channel=sms",
    }


@pytest.mark.parametrize(
    "page_name",
    ["lead list", "lead list found by phone", "lead page", "outbox", "outbox of text messages"],
)
def test_no_masked_page_writes_the_address_in_full_and_each_shows_its_masked_form(
    client: TestClient, world: ConsoleWorld, page_name: str
) -> None:
    answer = client.get(pages(world)[page_name])
    assert answer.status_code == 200
    html = answer.text
    for full in FULL_FORMS:
        assert full not in html, f"{full!r} in full on the {page_name}"
    assert MASKED_PHONE in html, page_name
    if page_name != "outbox of text messages":  # that page shows the sms messages only
        assert MASKED_EMAIL in html, page_name


def test_the_lead_page_masks_the_address_in_every_part_the_same_way(
    client: TestClient, world: ConsoleWorld
) -> None:
    html = client.get(pages(world)["lead page"]).text
    assert MASKED_PHONE in section(html, "contact") and MASKED_EMAIL in section(html, "contact")
    assert f"demo mode: {MASKED_PHONE} is not on the tenant" in section(html, "touches")
    assert f"&lt;{MASKED_EMAIL}&gt;: mailbox unavailable" in section(html, "touches")
    assert f"call me at (***) ***-1777 or {MASKED_EMAIL}" in section(html, "conversation")
    assert MASKED_PHONE in section(html, "timeline") and MASKED_EMAIL in section(html, "timeline")


def test_asking_to_see_the_contact_details_shows_them_everywhere(
    client: TestClient, world: ConsoleWorld
) -> None:
    lead_page = client.get(f"{pages(world)['lead page']}?show=1").text
    outbox = client.get(f"/console/t/{TENANT}/outbox?show=1").text
    listing = client.get(f"/console/t/{TENANT}/leads?show=1").text
    for html in (lead_page, outbox, listing):
        assert PHONE in html and EMAIL in html
    assert MASKED_PHONE not in lead_page and MASKED_EMAIL not in lead_page


def test_one_masking_rule_for_a_field_and_for_free_text() -> None:
    assert display.contact_phone(PHONE, reveal=False) == mask_text(PHONE) == MASKED_PHONE
    assert display.contact_email(EMAIL, reveal=False) == mask_text(EMAIL) == MASKED_EMAIL
    assert display.private({"to_phone": PHONE, "note": f"ask {EMAIL}"}, reveal=False) == {
        "to_phone": MASKED_PHONE,
        "note": f"ask {MASKED_EMAIL}",
    }
    assert display.private({"api_token": "sk-live-1"}, reveal=True) == {"api_token": "(secret)"}


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("(512) 555-0777", "(***) ***-0777"),
        ("512-555-0777", "***-***-0777"),
        ("+1 512.555.0777", "+1 ***.***.0777"),
        ("order 1777 for $450.00 on 2025-06-02", "order 1777 for $450.00 on 2025-06-02"),
    ],
)
def test_a_phone_number_written_with_separators_is_masked_in_free_text(written: str, masked: str) -> None:
    assert mask_text(written) == masked
