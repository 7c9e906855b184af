"""The chat page in a real browser: headless Chromium opens a chat link on a phone-sized screen, asks for
prices, picks a time from the slot buttons and sees the confirmation card; a booking or a move spends
the buttons of earlier offers, each reply takes the focus, and in dark mode every text keeps a 4.5:1
contrast as rendered; screenshots go to `test-output/`.

The app is served by uvicorn on a loopback port, with the SendGrid, Twilio and ShopMonkey stand-ins and
the background workers, so the booking the page makes is synced and confirmed like any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from tests.support.chat_world import MAYA_EMAIL, ChatWorld, chat_servers
from tests.support.services import find_chromium

from leadorch.adapters.standins.server import serve_in_thread
from leadorch.app.http.app import create_app
from leadorch.app.readmodels.appointments import appointments_of_lead
from leadorch.domain.values import LeadStatus

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output"
CHROMIUM = find_chromium()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatWorld]:
    database = tmp_path_factory.mktemp("chat-browser") / "events.db"
    with chat_servers(f"sqlite:///{database}", workers=True) as servers:
        yield servers


@pytest.fixture(scope="module")
def base_url(servers: ChatWorld) -> Iterator[str]:
    server = serve_in_thread(create_app(servers.container))
    yield server.url
    server.stop()


@pytest.fixture
def world(servers: ChatWorld) -> ChatWorld:
    return servers.fresh_tenant()


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
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def send(page: Page, text: str) -> None:
    page.fill("#message-input", text)
    page.click("#send-button")


def test_a_customer_gets_prices_and_books_a_slot_in_the_browser(
    page: Page, base_url: str, world: ChatWorld
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{base_url}/chat/{world.token()}")
    expect(page.locator("#shop-name")).to_have_text("Demo Tint San Diego")
    expect(page.locator("#message-input")).to_be_enabled()
    expect(page.locator(".welcome")).to_contain_text("Hi Maya!")

    send(page, "How much for the premium package?")
    expect(page.locator(".msg.assistant")).to_have_count(1)
    expect(page.locator(".msg.assistant").last).to_contain_text("The Premium Tint Package is $300")
    expect(page.locator("#typing")).to_be_hidden()

    send(page, "what times do you have Friday?")
    slots = page.locator(".slot-button")
    expect(slots.first).to_be_visible()
    expect(slots).to_have_count(6)
    shoot(page, "chat-slots.png")

    page.get_by_role("button", name="Book Fri Nov 27, 10:00 AM").click()
    card = page.locator(".appointment-card")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Fri Nov 27, 10:00 AM")
    expect(card).to_contain_text("Premium Tint Package")
    expect(card).to_contain_text("$300")
    expect(card).to_contain_text("Confirmed")
    # The slot's exact start travels in the message but is not shown.
    expect(page.locator(".msg.customer .bubble").last).to_have_text("Book Fri Nov 27, 10:00 AM PST")
    shoot(page, "chat-booked.png")

    world.settle()
    assert world.lead().status is LeadStatus.BOOKED
    (row,) = appointments_of_lead(world.container.db, world.tenant_id, world.lead_id)
    assert (row.status, row.crm_sync) == ("confirmed", "synced")
    assert any(mail.subject.startswith("You're booked") for mail in world.emails_to(MAYA_EMAIL))

    page.reload()  # the same link reopens the same conversation, with the appointment
    expect(page.locator(".msg.customer")).to_have_count(3)
    expect(page.locator(".appointment-card").first).to_contain_text("Fri Nov 27, 10:00 AM")
    assert errors == []


def test_an_expired_link_is_explained_politely(page: Page, base_url: str, world: ChatWorld) -> None:
    page.goto(f"{base_url}/chat/{world.token(valid_for=timedelta(seconds=-1))}")

    expect(page.locator("#notice")).to_contain_text("this chat link can't be used (the link has expired)")
    expect(page.locator("#message-input")).to_be_disabled()
    shoot(page, "chat-expired-link.png")


FOCUSED_IS_LAST_REPLY = """() => {
  const replies = document.querySelectorAll('.msg.assistant');
  return replies.length > 0 && document.activeElement === replies[replies.length - 1];
}"""


def test_a_booking_or_a_move_spends_the_earlier_offers_and_each_reply_takes_the_focus(
    page: Page, base_url: str, world: ChatWorld
) -> None:
    page.goto(f"{base_url}/chat/{world.token()}")
    expect(page.locator("#message-input")).to_be_enabled()

    send(page, "what times do you have Friday for the premium package?")
    friday = page.locator(".slots").nth(0).locator(".slot-button")
    expect(friday).to_have_count(6)
    assert page.evaluate(FOCUSED_IS_LAST_REPLY)
    friday.nth(1).click()
    expect(page.locator(".appointment-card")).to_be_visible()

    for button in friday.all():  # the offer is spent: a tap on it must not book again
        expect(button).to_be_disabled()
    assert page.evaluate(FOCUSED_IS_LAST_REPLY)

    send(page, "can I move it to Saturday?")
    saturday = page.locator(".slots").nth(1).locator(".slot-button")
    expect(saturday.first).to_be_enabled()
    for button in friday.all():  # waiting for the next reply does not wake the spent ones
        expect(button).to_be_disabled()
    send(page, "the first one")
    expect(page.locator(".appointment-card").last).to_contain_text("Sat Nov 28")
    for button in saturday.all():
        expect(button).to_be_disabled()
    assert page.evaluate(FOCUSED_IS_LAST_REPLY)
    shoot(page, "chat-offers-spent.png")

    page.reload()  # reopened, the transcript's earlier offers are still spent
    expect(page.locator(".slot-button").first).to_be_visible()
    expect(page.locator(".slot-button:enabled")).to_have_count(0)
    expect(page.locator(".slots.spent")).to_have_count(2)


# The colour of each visible text, and the first opaque background behind it, as the page renders them.
RENDERED_COLOURS = """() => {
  const rgb = (css) => (css.match(/[\\d.]+/g) || []).map(Number);
  const behind = (node) => {
    for (let at = node; at; at = at.parentElement) {
      const [r, g, b, a = 1] = rgb(getComputedStyle(at).backgroundColor);
      if (a > 0) return [r, g, b];
    }
    return [255, 255, 255];
  };
  const rows = [];
  const selector = '.bubble, .slot-button:enabled, time, .welcome, #shop-name, .shop-address, .shop-phone, '
    + '.appointment-card .when, .appointment-card .status, .appointment-card h2, .notice, #send-button:enabled';
  for (const node of document.querySelectorAll(selector)) {
    if (!node.offsetParent || !node.textContent.trim()) continue;
    rows.push({what: node.className || node.id || node.tagName, fg: rgb(getComputedStyle(node).color), bg: behind(node)});
  }
  return rows;
}"""


def _luminance(rgb: list[float]) -> float:
    linear = [
        (c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb[:3]
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(fg: list[float], bg: list[float]) -> float:
    high, low = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_in_dark_mode_every_text_keeps_4_5_to_1_contrast(
    browser: Browser, base_url: str, world: ChatWorld
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, color_scheme="dark")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{base_url}/chat/{world.token()}")
        expect(page.locator("#message-input")).to_be_enabled()
        send(page, "How much for the premium package?")
        send(page, "what times do you have Friday?")
        expect(page.locator(".slot-button").first).to_be_enabled()
        page.fill("#message-input", "a message not sent yet")  # the send button enabled
        shoot(page, "chat-dark.png")

        rows = page.evaluate(RENDERED_COLOURS)
    finally:
        context.close()

    assert {row["what"] for row in rows} >= {"bubble", "slot-button", "shop-phone"}
    low = [(row["what"], round(_contrast(row["fg"], row["bg"]), 2)) for row in rows]
    assert all(ratio >= 4.5 for _, ratio in low), [pair for pair in low if pair[1] < 4.5]
