"""The staff inbox on a phone: headless Chromium at 375 px logs in, opens the inbox, opens the customer's
thread, types a reply, and the reply reaches the customer's phone at the Twilio stand-in.

The app is served by uvicorn on a loopback port over real PostgreSQL, with the production Twilio and
SendGrid adapters talking to their stand-ins; the customer's text arrives through the Twilio webhook,
signed as Twilio signs it. Screenshots go to `test-output/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from tests.support.services import create_database, drop_database, find_chromium
from tests.support.touch_world import SHOP_NUMBER, TouchWorld, start_providers, world_on
from twilio.request_validator import RequestValidator

from leadorch.adapters.standins.server import serve_in_thread
from leadorch.app.http.app import create_app
from leadorch.domain.lead import Lead

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output"
CHROMIUM = find_chromium()
PUBLIC = "https://leads.sunshield.example.com"
PHONE_WIDTH = 375


@pytest.fixture
def world(pg_admin_url: str) -> Iterator[TouchWorld]:
    url = create_database(pg_admin_url)
    providers = start_providers()
    try:
        with world_on(url, providers) as built:
            yield built
    finally:
        providers.stop()
        drop_database(pg_admin_url, url)


@pytest.fixture
def base_url(world: TouchWorld) -> Iterator[str]:
    server = serve_in_thread(create_app(world.container))
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.fail(
            "Chromium not found on PATH (chromium, chromium-browser, google-chrome) for the browser tests"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 740}, is_mobile=True, has_touch=True
    )
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def customer_texts(page: Page, base_url: str, world: TouchWorld, body: str) -> None:
    """The customer's text, as Twilio's webhook delivers it (signed against the public URL)."""
    params = {
        "From": world.phone,
        "To": SHOP_NUMBER,
        "Body": body,
        "MessageSid": "SM" + uuid4().hex,
        "AccountSid": world.providers.twilio.account_sid,
    }
    signature = RequestValidator(world.providers.twilio.auth_token).compute_signature(
        PUBLIC + "/webhooks/twilio/sms", params
    )
    answer = page.request.post(
        f"{base_url}/webhooks/twilio/sms", form=params, headers={"X-Twilio-Signature": signature}
    )
    assert answer.status == 200, answer.text()


def fits_the_phone(page: Page) -> None:
    """Nothing on the page scrolls sideways at phone width."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the page is {width} px wide on a {PHONE_WIDTH} px screen"


def log_in(page: Page, base_url: str, world: TouchWorld) -> None:
    page.goto(f"{base_url}/console/t/{world.tenant_id}/inbox")
    page.fill("#token", world.api_token)
    page.fill("#name", "Ana")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Inbox")


def test_a_staff_member_answers_a_text_from_the_phone_and_it_reaches_the_customer(
    page: Page, base_url: str, world: TouchWorld
) -> None:
    lead_id, schedule_id = world.new_lead()
    world.dispatch(schedule_id)  # touch 1 by text and email
    world.catch_up()  # texts are matched to leads by number in the leads read model
    customer_texts(page, base_url, world, "Hi, can you call me? I'd rather talk to someone")
    world.catch_up()
    world.clock.advance(timedelta(minutes=3))  # Ana sees it a few minutes later
    before = len(world.texts_to(world.phone))

    log_in(page, base_url, world)
    item = page.locator(f"#inbox li[data-lead='{lead_id}']")
    expect(item).to_have_attribute("data-attention", "unanswered")  # the assistant handed it to staff
    expect(item).to_contain_text("passed this to the team")  # its answer by text, the latest line
    fits_the_phone(page)
    shoot(page, "console-inbox-phone.png")

    item.locator("a").click()
    expect(page.locator("#thread li[data-who=customer]")).to_contain_text("can you call me?")
    expect(page.locator("#thread li[data-who=customer] .meta")).to_contain_text("Customer · text")
    expect(page.locator("#reply h2")).to_have_text("Reply by text")
    fits_the_phone(page)
    page.fill("#reply-text", "Hi Jane, this is Ana at Sun Shield. I'll call you in 10 minutes.")
    page.click("#send-reply")

    expect(page.locator(".flash-notice")).to_have_text("Reply sent by text.")
    who = page.eval_on_selector_all("#thread li", "items => items.map(i => i.dataset.who)")
    assert who[0] == "customer" and "assistant" in who and who[-1] == "staff", who
    staff_line = page.locator("#thread li[data-who=staff]")
    expect(staff_line).to_contain_text("Ana (staff) · text")
    expect(staff_line).to_contain_text("I'll call you in 10 minutes.")
    fits_the_phone(page)
    shoot(page, "console-thread-phone.png")
    texts = world.texts_to(world.phone)[before:]
    assert [sms.body for sms in texts] == ["Hi Jane, this is Ana at Sun Shield. I'll call you in 10 minutes."]
    assert texts[0].from_number == SHOP_NUMBER

    expect(page.locator("#taken-over")).to_have_text("taken over by chat assistant")  # the hand-off
    page.click("#hand-back")
    expect(page.locator(".flash-notice")).to_contain_text("Handed back")
    page.click("#take-over")
    expect(page.locator(".flash-notice")).to_contain_text("Taken over by Ana")
    expect(page.locator("#taken-over")).to_have_text("taken over by Ana")
    assert world.lead(lead_id).automation_paused
    page.click("#hand-back")
    expect(page.locator(".flash-notice")).to_contain_text("Handed back")
    lead = world.container.store.load(UUID(lead_id), Lead, world.tenant_id)
    assert not lead.automation_paused


def test_after_take_over_a_text_from_the_customer_waits_for_staff_and_nothing_answers_it(
    page: Page, base_url: str, world: TouchWorld
) -> None:
    lead_id, schedule_id = world.new_lead()
    world.dispatch(schedule_id)
    world.catch_up()
    answered = len(world.texts_to(world.phone))
    customer_texts(page, base_url, world, "Hi, how much is the ultimate package?")
    world.catch_up()
    assert len(world.texts_to(world.phone)) == answered + 1  # while it may, the assistant answers texts
    log_in(page, base_url, world)
    page.locator(f"#inbox li[data-lead='{lead_id}'] a").click()
    page.click("#take-over")
    expect(page.locator("#taken-over")).to_have_text("taken over by Ana")
    world.clock.advance(timedelta(minutes=1))
    before = len(world.texts_to(world.phone))

    customer_texts(page, base_url, world, "anything Saturday morning for the ultimate?")
    world.catch_up()

    assert world.texts_to(world.phone)[before:] == []  # the assistant stays quiet while staff have it
    page.goto(f"{base_url}/console/t/{world.tenant_id}/inbox")
    expect(page.locator(f"#inbox li[data-lead='{lead_id}']")).to_have_attribute(
        "data-attention", "unanswered"
    )
    page.locator(f"#inbox li[data-lead='{lead_id}'] a").click()
    expect(page.locator("#thread li[data-who=customer]").last).to_contain_text("Saturday morning")
    assert page.eval_on_selector_all("#thread li", "items => items.map(i => i.dataset.who)")[-1] == "customer"
    fits_the_phone(page)
