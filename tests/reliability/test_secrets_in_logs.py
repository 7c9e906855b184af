"""Secrets and personal data stay out of the logs: a full run (webhook → lead → touch 1 by SMS and email →
the customer's chat) with the production JSON logging at DEBUG level is captured, and the capture is
searched for every credential the run used and for the customer's unmasked email address and phone.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.support.shopmonkey_world import (
    SECRET,
    TENANT,
    ShopMonkeyWorld,
    drain,
    shopmonkey_world,
    start_runtime,
)

from leadorch.app.http.app import create_app
from leadorch.app.observability.logging import configure_logging

pytestmark = pytest.mark.postgres

CUSTOMER_EMAIL = "maya.ortega@example.com"
CUSTOMER_PHONE_DIGITS = "6195550142"


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    configure_logging("DEBUG", json_lines=True, stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])


@pytest.fixture
def world(pg_url: str) -> Iterator[ShopMonkeyWorld]:
    with shopmonkey_world(pg_url) as built:
        yield built


def run_full_flow(world: ShopMonkeyWorld) -> dict[str, Any]:
    """Webhook → lead → touch 1 → chat; returns what the run produced (the chat token among it)."""
    runtime, _ = start_runtime(world)
    app = create_app(world.container)
    with TestClient(app) as client:
        body = world.body("order-insert-website-lead")
        answer = client.post(f"/webhooks/shopmonkey/{TENANT}", content=body, headers=world.signed(body))
        assert answer.status_code == 200, answer.text
        drain(runtime)
        standins = world.container.standins
        texts = [sms.body for sms in standins.twilio.outbox if sms.to == "+16195550142"]
        emails = [mail.text or "" for mail in standins.sendgrid.outbox if CUSTOMER_EMAIL in mail.to]
        assert texts and emails, "touch 1 should have gone out on both channels"
        link = re.search(r"/chat/([A-Za-z0-9._~-]+)", texts[0] + " " + emails[0])
        assert link, texts[0]
        token = link.group(1)
        opened = client.post("/api/chat/sessions", json={"token": token})
        assert opened.status_code == 201, opened.text
        session_id = opened.json()["session_id"]
        reply = client.post(
            f"/api/chat/sessions/{session_id}/messages",
            json={"text": f"Hi, I'm Maya, reach me at {CUSTOMER_EMAIL} or (619) 555-0142. Saturday?"},
        )
        assert reply.status_code == 200, reply.text
    return {"chat_token": token, "session_id": session_id, "standins": standins}


def test_a_full_run_logs_no_credential_and_no_unmasked_contact_detail(
    world: ShopMonkeyWorld, captured_logs: io.StringIO
) -> None:
    produced = run_full_flow(world)
    logs = captured_logs.getvalue()
    assert logs.count("\n") >= 5, "the run should have logged something to search"
    settings = world.container.settings
    standins = produced["standins"]
    secrets = {
        "ShopMonkey webhook secret": SECRET,
        "ShopMonkey webhook secret (key part)": SECRET.removeprefix("whsec_"),
        "ShopMonkey API key": world.shopmonkey.api_key,
        "SendGrid API key": standins.sendgrid_api_key,
        "Twilio auth token": standins.twilio_auth_token,
        "admin token": settings.admin_token,
        "signing key": settings.secret_key,
        "chat link token": produced["chat_token"],
        "chat session id": produced["session_id"],
    }
    leaked = {
        name: next(line for line in logs.splitlines() if value in line)[:400]
        for name, value in secrets.items()
        if value and value in logs
    }
    assert not leaked, f"found in the logs: {leaked}"
    lowered = logs.lower()
    assert CUSTOMER_EMAIL not in lowered, "the customer's email address is in the logs unmasked"
    assert CUSTOMER_PHONE_DIGITS not in re.sub(r"[\s().-]", "", logs), (
        "the customer's phone is in the logs unmasked"
    )
