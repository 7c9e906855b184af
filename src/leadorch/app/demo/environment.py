"""The demo's world: built-in stand-ins for ShopMonkey, SendGrid and Twilio, and a movable clock.

Only `leadorch demo` builds one. A stand-in replaces a vendor only when that vendor's real credentials are
not configured, so the same command runs against the real services once they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from leadorch.adapters.clocks import AdjustableClock
from leadorch.adapters.standins.sendgrid import API_KEY as SENDGRID_STANDIN_KEY
from leadorch.adapters.standins.sendgrid import SendGridStandIn
from leadorch.adapters.standins.server import RunningServer, serve_in_thread
from leadorch.adapters.standins.shopmonkey import BUNDLED_FIXTURES, FakeShopMonkey
from leadorch.adapters.standins.twilio import ACCOUNT_SID as TWILIO_STANDIN_SID
from leadorch.adapters.standins.twilio import AUTH_TOKEN as TWILIO_STANDIN_TOKEN
from leadorch.adapters.standins.twilio import TEST_FROM_NUMBER, TwilioStandIn
from leadorch.app.config.demo_seed import DEMO_SHOP_NUMBER
from leadorch.app.settings import Settings

DEMO_SHOPMONKEY_KEY = "demo-shopmonkey-key"


def demo_webhook_secret() -> str:
    """The signing secret of the bundled sample webhook (the demo tenant uses it)."""
    sample = json.loads((Path(BUNDLED_FIXTURES) / "webhook-order-insert-website-lead.json").read_text())
    return str(sample["secret"])


@dataclass
class DemoEnvironment:
    clock: AdjustableClock
    shopmonkey: FakeShopMonkey | None = None
    sendgrid: SendGridStandIn | None = None
    twilio: TwilioStandIn | None = None
    servers: list[RunningServer] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


DEMO_TIME_ZONE = "America/Los_Angeles"  # the demo location's


def demo_start_time(now: datetime, time_zone: str = DEMO_TIME_ZONE) -> datetime:
    """Now, or — when it is night at the demo shop — the next 10:00 there, so the cadence is visible at once.

    The demo clock starts there and only moves forward; real deployments use the real clock.
    """
    local = now.astimezone(ZoneInfo(time_zone))
    if time(9, 30) <= local.time() <= time(19, 0):
        return now
    day = local.date() if local.time() < time(9, 30) else local.date() + timedelta(days=1)
    return datetime.combine(day, time(10, 0), ZoneInfo(time_zone)).astimezone(UTC)


def start_demo_environment(settings: Settings, *, now: datetime | None = None) -> DemoEnvironment:
    """Start a stand-in for each vendor without real credentials; return the settings that point at them."""
    env = DemoEnvironment(clock=AdjustableClock())  # real time flowing, plus the offset simulate adds
    real_now = now or datetime.now(UTC)
    head_start = demo_start_time(real_now) - real_now
    if head_start > timedelta():
        env.clock.advance(head_start)
    overrides: dict[str, Any] = {"demo_clock": True}
    if settings.shopmonkey_base_url == Settings().shopmonkey_base_url:
        env.shopmonkey = FakeShopMonkey.from_fixtures(api_key=DEMO_SHOPMONKEY_KEY, clock=env.clock.now)
        server = serve_in_thread(env.shopmonkey)
        env.servers.append(server)
        overrides["shopmonkey_base_url"] = server.url
    if not settings.sendgrid_api_key:
        env.sendgrid = SendGridStandIn()
        server = serve_in_thread(env.sendgrid.app)
        env.servers.append(server)
        overrides.update(sendgrid_api_key=SENDGRID_STANDIN_KEY, sendgrid_host=server.url)
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        env.twilio = TwilioStandIn(phone_numbers=(TEST_FROM_NUMBER, DEMO_SHOP_NUMBER))
        server = serve_in_thread(env.twilio.app)
        env.servers.append(server)
        overrides.update(
            twilio_account_sid=TWILIO_STANDIN_SID,
            twilio_auth_token=TWILIO_STANDIN_TOKEN,
            twilio_base_url=server.url,
        )
    env.overrides = overrides
    return env
