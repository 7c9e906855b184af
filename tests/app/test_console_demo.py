"""The console's demo button: "Simulate a website quote" creates a New Quote order in the ShopMonkey
stand-in and delivers its signed webhook to our own endpoint over HTTP, exactly as ShopMonkey would.
It only exists on a server running the demo, and only for the demo tenant."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from litestar.testing import TestClient
from tests.app.test_console_world import ADMIN_TOKEN

from leadorch.adapters.clocks import AdjustableClock
from leadorch.adapters.standins.server import RunningServer, free_port, serve_in_thread
from leadorch.adapters.standins.shopmonkey import FakeShopMonkey
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.config.demo_seed import DEMO_TENANT
from leadorch.app.demo.environment import DEMO_SHOPMONKEY_KEY, DemoEnvironment
from leadorch.app.demo.seed import seed_demo
from leadorch.app.http.app import create_app
from leadorch.app.ingestion.inbox import WebhookInbox
from leadorch.app.settings import load_settings


@dataclass
class DemoServer:
    container: Container
    env: DemoEnvironment
    server: RunningServer


@pytest.fixture
def demo(sqlite_url: str) -> Iterator[DemoServer]:
    port = free_port()
    clock = AdjustableClock()
    settings = load_settings(
        {}, database_url=sqlite_url, admin_token=ADMIN_TOKEN, public_base_url=f"http://127.0.0.1:{port}"
    )
    container = bootstrap(settings, clock=clock)
    seed_demo(container)
    env = DemoEnvironment(
        clock=clock, shopmonkey=FakeShopMonkey.from_fixtures(api_key=DEMO_SHOPMONKEY_KEY, clock=clock.now)
    )
    container.demo = env
    server = serve_in_thread(create_app(container), port=port)
    yield DemoServer(container, env, server)
    server.stop()
    container.close()


def _log_in(client: httpx.Client) -> None:
    nonce = re.search(r'name="login_nonce" value="([^"]+)"', client.get("/console/login").text)
    assert nonce is not None
    client.post(
        "/console/login", data={"token": ADMIN_TOKEN, "login_nonce": nonce.group(1), "next": "/console"}
    )


def test_the_demo_button_sends_a_signed_website_quote_through_the_real_webhook(demo: DemoServer) -> None:
    orders_before = set(demo.env.shopmonkey.orders)  # type: ignore[union-attr]
    with httpx.Client(base_url=demo.server.url, follow_redirects=True, timeout=20) as client:
        _log_in(client)
        dashboard = client.get(f"/console/t/{DEMO_TENANT}").text
        assert 'id="simulate-quote"' in dashboard
        csrf = re.search(r'name="csrf" value="([^"]+)"', dashboard).group(1)  # type: ignore[union-attr]
        answer = client.post(f"/console/t/{DEMO_TENANT}/demo/quote", data={"csrf": csrf})
    assert answer.status_code == 200
    assert str(answer.url).endswith(f"/console/t/{DEMO_TENANT}/leads")
    new_orders = set(demo.env.shopmonkey.orders) - orders_before  # type: ignore[union-attr]
    assert len(new_orders) == 1
    order_id = new_orders.pop()
    assert f"A website quote arrived as ShopMonkey order {order_id} (webhook answered 200)" in answer.text
    deliveries = WebhookInbox(demo.container.db).rows(DEMO_TENANT)
    assert [row.order.id for row in deliveries if row.order is not None] == [order_id]  # verified and stored


def test_without_the_demo_there_is_no_button_and_no_endpoint(sqlite_url: str) -> None:
    container = bootstrap(load_settings({}, database_url=sqlite_url, admin_token=ADMIN_TOKEN))
    seed_demo(container)
    try:
        with TestClient(create_app(container), base_url="http://testserver.local") as client:
            nonce = re.search(r'name="login_nonce" value="([^"]+)"', client.get("/console/login").text).group(
                1
            )  # type: ignore[union-attr]
            client.post("/console/login", data={"token": ADMIN_TOKEN, "login_nonce": nonce})
            dashboard = client.get(f"/console/t/{DEMO_TENANT}").text
            assert "Simulate a website quote" not in dashboard
            csrf = re.search(r'name="csrf" value="([^"]+)"', dashboard).group(1)  # type: ignore[union-attr]
            answer = client.post(f"/console/t/{DEMO_TENANT}/demo/quote", data={"csrf": csrf})
            assert answer.status_code == 404
            assert "this server is not running the demo" in answer.text
    finally:
        container.close()
