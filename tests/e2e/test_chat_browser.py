"""The chat page in a real browser: headless Chromium opens a chat link on a phone-sized screen, asks for
prices, picks a time from the slot buttons and sees the confirmation card; screenshots go to
`test-output/`.

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
