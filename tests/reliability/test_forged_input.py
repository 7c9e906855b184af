"""Forged and malformed input: what did not come from ShopMonkey or Twilio is refused and leaves no trace;
what cannot be read is refused with a reason.

- ShopMonkey webhooks unsigned, signed with another secret, replayed outside the tolerance, or with a
  tampered body → 401 and nothing in the inbox or the event store.
- Twilio webhooks (inbound SMS, delivery status) unsigned or signed with another token → 403, and the
  lead they name is unchanged.
- Bodies over the limit → 413, nothing stored. Malformed JSON under a valid signature → 400 naming
  the problem (kept in the inbox as rejected, for diagnosis; never processed).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.support.shopmonkey_world import TENANT, ShopMonkeyWorld, shopmonkey_world
from twilio.request_validator import RequestValidator

from leadorch.app.http.app import create_app
from leadorch.app.ingestion.inbox import InboxStatus, WebhookInbox
from leadorch.app.messaging import twilio_auth_token

pytestmark = pytest.mark.postgres

OTHER_SECRET = "whsec_" + "b3RoZXItc2VjcmV0LWtleS0xMjM0NTY3ODkwMTIzNA=="


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest) -> Iterator[ShopMonkeyWorld]:
    from tests.support.services import create_database, drop_database

    admin = request.getfixturevalue("pg_admin_url")
    url = create_database(admin)
    try:
        with shopmonkey_world(url) as built:
            yield built
    finally:
        drop_database(admin, url)


@pytest.fixture(scope="module")
def client(world: ShopMonkeyWorld) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(world.container)) as test_client:
        yield test_client


def footprint(world: ShopMonkeyWorld) -> tuple[int, int]:
    """How many inbox rows and events there are: a refused request must not change either."""
    rows = len(WebhookInbox(world.container.db).rows(TENANT, limit=10_000))
    return rows, int(world.container.store.recorder.max_notification_id() or 0)


URL = f"/webhooks/shopmonkey/{TENANT}"


# ---------------------------------------------------------------------------------------- ShopMonkey


def test_an_unsigned_shopmonkey_delivery_is_401_and_not_stored(
    client: TestClient[Any], world: ShopMonkeyWorld
) -> None:
    before = footprint(world)
    body = world.body("order-insert-website-lead")
    response = client.post(
        URL, content=body, headers={"Content-Type": "application/json", "X-Request-Id": "req_unsigned"}
    )
    assert response.status_code == 401
    assert "signature" in response.json()["detail"]
    assert footprint(world) == before


def test_a_delivery_signed_with_another_secret_is_401_and_not_stored(
    client: TestClient[Any], world: ShopMonkeyWorld
) -> None:
    before = footprint(world)
    body = world.body("order-insert-website-lead")
    response = client.post(URL, content=body, headers=world.signed(body, secret=OTHER_SECRET))
    assert response.status_code == 401
    assert footprint(world) == before


def test_a_tampered_body_under_a_genuine_signature_is_401(
    client: TestClient[Any], world: ShopMonkeyWorld
) -> None:
    before = footprint(world)
    body = world.body("order-insert-website-lead")
    headers = world.signed(body)
    tampered = body.replace(b"New Quote", b"Old Quote")
    assert tampered != body
    assert client.post(URL, content=tampered, headers=headers).status_code == 401
    assert footprint(world) == before


@pytest.mark.parametrize(
    "age", [timedelta(minutes=-10), timedelta(minutes=10)], ids=["stale", "from-the-future"]
)
def test_a_replayed_delivery_outside_the_tolerance_is_401(
    client: TestClient[Any], world: ShopMonkeyWorld, age: timedelta
) -> None:
    before = footprint(world)
    body = world.body("order-insert-website-lead")
    response = client.post(URL, content=body, headers=world.signed(body, at=world.clock.now() + age))
    assert response.status_code == 401
    assert footprint(world) == before


def test_a_delivery_for_an_unknown_tenant_is_404(client: TestClient[Any], world: ShopMonkeyWorld) -> None:
    before = footprint(world)
    body = world.body("order-insert-website-lead")
    response = client.post("/webhooks/shopmonkey/nobody-here", content=body, headers=world.signed(body))
    assert response.status_code == 404
    assert footprint(world) == before


def test_an_oversized_body_is_refused_before_anything_is_stored(
    client: TestClient[Any], world: ShopMonkeyWorld
) -> None:
    before = footprint(world)
    body = (
        b'{"apiVersion":"3","operation":"INSERT","table":"order","data":{"note":"' + b"x" * 300_000 + b'"}}'
    )
    response = client.post(URL, content=body, headers=world.signed(body))
    assert response.status_code == 413
    assert footprint(world) == before


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"apiVersion":"3","operation":"INSERT","table":"order","data":{', "JSON"),
        (b"[1, 2, 3]", ""),
        (b'{"apiVersion":"3","operation":"INSERT","table":"order"}', "data"),
    ],
    ids=["truncated-json", "not-an-object", "no-data"],
)
def test_malformed_json_under_a_valid_signature_is_400_with_a_reason(
    client: TestClient[Any], world: ShopMonkeyWorld, body: bytes, reason: str
) -> None:
    request_id = f"req_malformed_{abs(hash(body))}"
    response = client.post(URL, content=body, headers=world.signed(body, request_id=request_id))
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail and reason.lower() in detail.lower()
    kept = WebhookInbox(world.container.db).get(request_id)
    assert kept is not None and kept.status is InboxStatus.REJECTED and kept.order is None


# -------------------------------------------------------------------------------------------- Twilio


def _twilio_params(world: ShopMonkeyWorld) -> dict[str, str]:
    return {"From": "+16195550142", "To": "+16195550199", "Body": "STOP", "MessageSid": "SM" + "0" * 32}


@pytest.mark.parametrize(
    "path", ["/webhooks/twilio/sms", "/webhooks/twilio/status?tenant=tint&schedule=x&touch=1"]
)
def test_unsigned_or_wrongly_signed_twilio_webhooks_are_403_and_change_nothing(
    client: TestClient[Any], world: ShopMonkeyWorld, path: str
) -> None:
    before = world.container.store.recorder.max_notification_id() or 0
    params = _twilio_params(world) | {"MessageStatus": "delivered"}
    url = world.container.settings.public_base_url + path
    wrong = RequestValidator("not-the-account-token").compute_signature(url, params)
    for headers in ({}, {"X-Twilio-Signature": wrong}, {"X-Twilio-Signature": "garbage"}):
        response = client.post(path, data=params, headers=headers)
        assert response.status_code == 403, headers
        assert "signed" in response.text
    assert (world.container.store.recorder.max_notification_id() or 0) == before


def test_a_genuinely_signed_twilio_text_is_accepted(client: TestClient[Any], world: ShopMonkeyWorld) -> None:
    """The refusals above are the signature's doing: the same request signed with the real token passes."""
    params = _twilio_params(world) | {"Body": "hello"}
    url = world.container.settings.public_base_url + "/webhooks/twilio/sms"
    token = twilio_auth_token(world.container)
    assert token
    signature = RequestValidator(token).compute_signature(url, params)
    response = client.post("/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<?xml")


def test_an_oversized_twilio_body_is_refused(client: TestClient[Any], world: ShopMonkeyWorld) -> None:
    params = _twilio_params(world) | {"Body": "x" * 100_000}
    assert client.post("/webhooks/twilio/sms", data=params).status_code == 413
