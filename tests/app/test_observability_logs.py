"""Structured logs: one JSON object per line, each carrying the correlation ids of the work it is about —
the webhook's delivery id, the lead and touch a dispatch works on, the background job that wrote it —
and ids bound for one piece of work never stick to the next.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.support.shopmonkey_world import (
    TENANT,
    ShopMonkeyWorld,
    drain,
    shopmonkey_world,
    start_runtime,
)

from leadorch.app.http.app import create_app
from leadorch.app.observability.logging import bind, bound_ids, configure_logging, log_reference

pytestmark = pytest.mark.postgres

URL = f"/webhooks/shopmonkey/{TENANT}"


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    configure_logging("INFO", json_lines=True, stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


@pytest.fixture
def world(pg_url: str) -> Iterator[ShopMonkeyWorld]:
    with shopmonkey_world(pg_url) as built:
        yield built


def log_entries(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = stream.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]
    assert all(isinstance(entry, dict) for entry in entries), "every line should be one JSON object"
    return entries


def test_a_flow_logs_one_json_object_per_line_with_the_ids_of_the_work_it_is_about(
    world: ShopMonkeyWorld, captured_logs: io.StringIO
) -> None:
    runtime, _ = start_runtime(world)
    body = world.body("order-insert-website-lead")
    headers = world.signed(body, request_id="req_observed")
    with TestClient(create_app(world.container)) as client:
        assert client.post(URL, content=body, headers=headers).json() == {"status": "accepted"}
        drain(runtime)
    logging.getLogger("tests.after").info("after the flow")
    lead_id = str(world.lead().id)
    schedule_id = str(world.schedule().id)

    entries = log_entries(captured_logs)
    assert {"ts", "level", "logger", "msg"} <= set(entries[0])

    webhook = [e for e in entries if e["logger"] == "leadorch.app.http.webhooks_shopmonkey"]
    assert [e["msg"] for e in webhook] == ["webhook delivery accepted"]
    assert (webhook[0]["delivery_id"], webhook[0]["tenant_id"]) == ("req_observed", TENANT)

    ingestion = [e for e in entries if e["logger"] == "leadorch.app.ingestion.actors"]
    assert ingestion, "the worker should log its decision on the delivery"
    for entry in ingestion:
        assert (entry["delivery_id"], entry["lead_id"], entry["actor"]) == (
            "req_observed",
            lead_id,
            "process_inbox_delivery",
        )

    dispatch = [e for e in entries if e["logger"] == "leadorch.app.touches.dispatch"]
    assert [e["msg"] for e in dispatch] == ["touch 1 dispatched: sms sent, email sent"]
    assert {key: dispatch[0][key] for key in ("lead_id", "schedule_id", "touch", "tenant_id", "actor")} == {
        "lead_id": lead_id,
        "schedule_id": schedule_id,
        "touch": "1",
        "tenant_id": TENANT,
        "actor": "dispatch_touch",
    }
    # Each job has its own message id; nothing of the delivery's job is left on the dispatch's lines.
    assert dispatch[0]["message_id"] != ingestion[0]["message_id"]
    assert "delivery_id" not in dispatch[0]

    [after] = [e for e in entries if e["logger"] == "tests.after"]
    assert set(after) == {"ts", "level", "logger", "msg"}, "ids bound for a piece of work leaked past it"

    text = captured_logs.getvalue()
    assert "maya.ortega@example.com" not in text
    assert "6195550142" not in text.replace("-", "").replace(" ", "")


def test_bind_nests_and_restores_and_a_credential_is_logged_only_by_its_reference(
    captured_logs: io.StringIO,
) -> None:
    log = logging.getLogger("tests.bind")
    session_id = "k3Jf9s-secret-session-id-value"
    with bind(delivery_id="req_1", tenant_id="tint"):
        with bind(lead_id="lead-1", tenant_id="other", empty=None):
            log.info("inner")
        log.info("outer")
    with bind(session=log_reference(session_id)):
        log.info("chat")
    assert bound_ids() == {}

    inner, outer, chat = log_entries(captured_logs)
    assert (inner["delivery_id"], inner["lead_id"], inner["tenant_id"], "empty" in inner) == (
        "req_1",
        "lead-1",
        "other",
        False,
    )
    assert (outer["tenant_id"], "lead_id" in outer) == ("tint", False)
    assert chat["session"] == log_reference(session_id) != session_id
    assert session_id not in captured_logs.getvalue()
