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


# ------------------------------------------------------------------------------------------ a phone

PHONE = {"width": 375, "height": 812}
# Every text of every chart, measured by the browser in its own font, against the chart's viewBox.
_CUT_CHART_TEXT = """() => [...document.querySelectorAll('svg.chart')].flatMap(svg => {
  const box = svg.viewBox.baseVal;
  return [...svg.querySelectorAll('text')].map(t => ({text: t.textContent, b: t.getBBox()}))
    .filter(({b}) => b.x < 0 || b.y < 0 || b.x + b.width > box.width || b.y + b.height > box.height)
    .map(({text}) => `${svg.getAttribute('aria-label')}: ${text}`);
})"""


@pytest.fixture(scope="module")
def phone_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ConsoleWorld]]:
    """One server for the phone tests: they only read pages."""
    built = build_world(f"sqlite:///{tmp_path_factory.mktemp('console-phone') / 'events.db'}")
    server = serve_in_thread(create_app(built.container))
    yield server.url, built
    server.stop()
    built.container.close()


@pytest.fixture(scope="module")
def phone(browser: Browser, phone_site: tuple[str, ConsoleWorld]) -> Iterator[Page]:
    """A logged-in phone, 375 px wide, for the whole module."""
    base_url, _ = phone_site
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    opened.goto(f"{base_url}/console/login")
    opened.fill("#token", ADMIN_TOKEN)
    opened.fill("#name", "Ana")
    opened.click("button[type=submit]")
    expect(opened.locator("h1")).to_have_text("Tenants")
    yield opened
    context.close()


@pytest.mark.parametrize(
    ("name", "path", "rows"),
    [
        ("tenants", "/console/", "table.list tbody tr"),
        ("leads", f"/console/t/{TENANT}/leads", "#lead-list tbody tr"),
        ("outbox", f"/console/t/{TENANT}/outbox", "#outbox tbody tr"),
        ("dashboard", f"/console/t/{TENANT}", "svg.chart"),
        ("lead", f"/console/t/{TENANT}/leads/{{john}}", "#touches tbody tr"),
        ("settings", f"/console/t/{TENANT}/settings", "#demo"),
    ],
)
def test_on_a_phone_no_page_scrolls_sideways_and_lists_read_as_cards(
    phone: Page, phone_site: tuple[str, ConsoleWorld], name: str, path: str, rows: str
) -> None:
    base_url, world = phone_site
    phone.goto(base_url + path.replace("{john}", world.leads["John"]))
    expect(phone.locator(rows).first).to_be_visible()
    width, inner = phone.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert inner == 375
    assert width <= inner, f"the {name} page is {width} px wide on a {inner} px phone"
    if rows.endswith("tbody tr"):  # a row is a card that fits, each cell named by its column
        first = phone.locator(rows).first
        assert first.bounding_box()["width"] <= inner  # type: ignore[index]
        heading = phone.locator("table.list thead").first.bounding_box()
        assert heading is not None and heading["width"] <= 1  # hidden from sight, kept for screen readers
        cell = first.locator("td[data-label]").first
        shown = phone.evaluate("td => getComputedStyle(td, '::before').content", cell.element_handle())
        assert shown == f'"{cell.get_attribute("data-label")}: "'
    assert phone.evaluate(_CUT_CHART_TEXT) == []
    _shoot(phone, f"console-phone-{name}.png")


def test_no_chart_label_is_cut_on_a_wide_screen(page: Page, phone_site: tuple[str, ConsoleWorld]) -> None:
    base_url, _ = phone_site
    page.goto(f"{base_url}/console/login")
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")
    for query in ("", "?from=2025-05-01&to=2025-06-10"):
        page.goto(f"{base_url}/console/t/{TENANT}{query}")
        expect(page.locator("svg.chart").first).to_be_visible()
        assert page.evaluate("document.querySelectorAll('svg.chart text').length") > 40
        assert page.evaluate(_CUT_CHART_TEXT) == []
