"""The console in a real browser: headless Chromium logs in, reads the funnel chart's bars, opens a lead's
timeline, settles an uncertain touch, and leaves screenshots of each page under `test-output/`.

The app is served by uvicorn on a loopback port over the scripted history of the console tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from tests.app.test_console_world import ADMIN_TOKEN, TENANT, ConsoleWorld, build_world
from tests.support.services import find_chromium

from leadorch.adapters.standins.server import serve_in_thread
from leadorch.app.http.app import create_app

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output"
CHROMIUM = find_chromium()


@pytest.fixture
def world(sqlite_url: str) -> Iterator[ConsoleWorld]:
    built = build_world(sqlite_url)
    yield built
    built.container.close()


@pytest.fixture
def base_url(world: ConsoleWorld) -> Iterator[str]:
    server = serve_in_thread(create_app(world.container))
    yield server.url
    server.stop()


@pytest.fixture
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
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def _bars(page: Page, selector: str) -> dict[str, str]:
    """label → value of every bar of the chart(s) under `selector`."""
    return page.eval_on_selector_all(
        f"{selector} svg rect.bar",
        "bars => Object.fromEntries(bars.map(b => [b.dataset.label, b.dataset.value]))",
    )


def _shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_an_operator_logs_in_and_sees_the_funnel_the_timeline_and_the_outbox(
    page: Page, base_url: str, world: ConsoleWorld
) -> None:
    page.goto(f"{base_url}/console")
    expect(page).to_have_url(f"{base_url}/console/login")
    _shoot(page, "console-login.png")
    page.fill("#token", ADMIN_TOKEN)
    page.fill("#name", "Ana")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Tenants")

    page.click("text=Sunshield Tint")
    expect(page).to_have_url(f"{base_url}/console/t/{TENANT}")
    assert _bars(page, "#funnel-tenant") == {
        "Received": "5", "Contacted": "4", "Engaged": "1", "Booked": "1", "Lost": "1", "Opted out": "1",
    }  # fmt: skip
    assert _bars(page, "#funnel-austin")["Received"] == "4"
    assert _bars(page, "#funnel-dallas") == {
        "Received": "1", "Contacted": "1", "Engaged": "0", "Booked": "0", "Lost": "0", "Opted out": "0",
    }  # fmt: skip
    widths = page.eval_on_selector_all(
        "#funnel-tenant svg rect.bar", "bars => bars.map(b => b.getBBox().width)"
    )
    assert widths[0] > widths[1] > widths[2] > 0  # received is the longest bar, the stages shrink
    assert _bars(page, "#speed")["< 1 min"] == "2"
    expect(page.locator("#stat-speed")).to_have_text("45 s")
    expect(page.locator("#stat-conversion")).to_have_text("20%")
    _shoot(page, "console-dashboard.png")

    page.click("nav >> text=Leads")
    expect(page.locator("#lead-list tbody tr")).to_have_count(5)
    _shoot(page, "console-leads.png")

    page.goto(f"{base_url}/console/t/{TENANT}/leads/{world.leads['Jane']}")
    expect(page.locator("#lead-status")).to_have_text("booked")
    expect(page.locator("#contact-email")).to_have_text("j***@example.com")
    events = page.eval_on_selector_all("#timeline li", "items => items.map(i => i.dataset.event)")
    assert events[0] == "Lead.Registered"
    for expected in (
        "Lead.Registered",
        "TouchPointSchedule.Touch sent",
        "Lead.Reply recorded",
        "Appointment.Booked",
    ):
        assert expected in events
    expect(page.locator("#conversation")).to_contain_text("how much for ceramic")
    expect(page.locator("#appointments")).to_contain_text("$450.00")
    _shoot(page, "console-lead.png")
    page.click("#show-contact")
    expect(page.locator("#contact-email")).to_have_text("jane@example.com")

    page.goto(f"{base_url}/console/t/{TENANT}/leads/{world.leads['John']}")
    uncertain = page.locator("#touches tr[data-status=uncertain]")
    expect(uncertain).to_have_count(1)  # touch 2 went by email only
    uncertain.first.locator("button[value=sent]").click()
    expect(page.locator(".flash-notice")).to_contain_text("touch 2 was sent")
    expect(page.locator("#touches tr[data-touch='2'][data-status=sent]")).to_have_count(1)
    _shoot(page, "console-lead-resolved.png")

    page.click("nav >> text=Outbox")
    expect(page.locator("#outbox tbody tr[data-status=suppressed]")).to_have_count(2)
    expect(page.locator("#outbox tbody tr[data-status=failed]")).to_have_count(1)
    _shoot(page, "console-outbox.png")

    page.click("nav >> text=Settings")
    expect(page.locator("#demo-mode-state")).to_have_text("on")
    _shoot(page, "console-settings.png")

    page.click("text=Log out")
    expect(page).to_have_url(f"{base_url}/console/login")
