"""The newcomer's demo, end to end: a simulated website quote becomes a lead and touch 1 goes out.

Runs the same wiring as `leadorch demo` (stand-ins on real sockets, SQLite, in-process worker) and talks
to it over HTTP the way `leadorch simulate` does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leadorch.adapters.standins.server import free_port, serve_in_thread
from leadorch.app.background import start_api_background
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.demo.environment import start_demo_environment
from leadorch.app.demo.seed import seed_demo
from leadorch.app.http.app import create_app
from leadorch.app.readmodels.leads import list_leads
from leadorch.app.settings import load_settings

TOKEN = {"Authorization": "Bearer dev-admin-token"}


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, Container]]:
    port = free_port()
    base = load_settings(
        {}, database_url=f"sqlite:///{tmp_path / 'demo.db'}", public_base_url=f"http://127.0.0.1:{port}"
    )
    env = start_demo_environment(base)
    import msgspec

    settings = load_settings({}, **{**msgspec.structs.asdict(base), **env.overrides})
    container = bootstrap(settings, clock=env.clock)
    container.demo = env
    container.on_close(env.stop)
    seed_demo(container)
    start_api_background(container)
    server = serve_in_thread(create_app(container, debug=True), port=port)
    try:
        yield server.url, container
    finally:
        server.stop()
        container.close()


def _wait_for(predicate, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def test_a_simulated_quote_becomes_a_lead_and_touch_one_goes_out(demo: tuple[str, Container]) -> None:
    url, container = demo
    answer = httpx.post(f"{url}/api/demo/quotes", json={}, headers=TOKEN, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["webhook_status"] in (200, 202)

    leads = _wait_for(lambda: list_leads(container.db, "demo-tint"))
    assert len(leads) == 1
    assert leads[0].first_name == "Maya"

    def customer_messages() -> dict[str, list[dict[str, object]]]:
        outbox = httpx.get(f"{url}/api/demo/outbox", headers=TOKEN).json()
        return {
            "emails": [m for m in outbox["emails"] if m["to"] == ["maya.ortega@example.com"]],
            "sms": [m for m in outbox["sms"] if m["to"] == "+16195550142"],
        }

    sent = _wait_for(lambda: (m := customer_messages())["emails"] and m["sms"] and m)
    assert len(sent["emails"]) == 1 and len(sent["sms"]) == 1, sent
    assert "STOP" in str(sent["sms"][0]["body"])


def test_simulation_needs_the_operator_token(demo: tuple[str, Container]) -> None:
    url, _ = demo
    assert httpx.post(f"{url}/api/demo/quotes", json={}).status_code == 401


def test_the_demo_clock_starts_inside_the_shops_sending_window() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from leadorch.app.demo.environment import demo_start_time

    la = ZoneInfo("America/Los_Angeles")
    night = datetime(2026, 11, 25, 2, 12, tzinfo=la).astimezone(UTC)
    assert demo_start_time(night).astimezone(la) == datetime(2026, 11, 25, 10, 0, tzinfo=la)
    late = datetime(2026, 11, 25, 22, 0, tzinfo=la).astimezone(UTC)
    assert demo_start_time(late).astimezone(la) == datetime(2026, 11, 26, 10, 0, tzinfo=la)
    afternoon = datetime(2026, 11, 25, 14, 0, tzinfo=la).astimezone(UTC)
    assert demo_start_time(afternoon) == afternoon


def test_clock_jumps_are_bounded_in_every_unit_and_never_overflow(demo: tuple[str, Container]) -> None:
    url, container = demo
    clock = f"{url}/api/demo/clock"
    for too_far in ("+91d", "+2161h", "+129601m", "+7776001s", "+100000d", "+7000000d", "+999999999d"):
        refused = httpx.post(clock, json={"advance": too_far}, headers=TOKEN)
        assert refused.status_code == 400, (too_far, refused.text)
        assert "at most 90 days" in refused.json()["detail"]
    before = container.clock.now()
    for _ in range(4):  # 4 x 90 days fits in the 400 days the demo may run ahead
        assert httpx.post(clock, json={"advance": "+90d"}, headers=TOKEN).status_code == 200
    refused = httpx.post(clock, json={"advance": "+90d"}, headers=TOKEN)
    assert refused.status_code == 400
    assert "at most 400 days ahead" in refused.json()["detail"]
    assert httpx.post(clock, json={"advance": "+1d"}, headers=TOKEN).status_code == 200
    assert 361 <= (container.clock.now() - before).days <= 362
    # The later ticks still work: the demo is not broken by its own CLI.
    assert httpx.get(f"{url}/api/demo/outbox", headers=TOKEN).status_code == 200
