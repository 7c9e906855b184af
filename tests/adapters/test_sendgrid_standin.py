"""The SendGrid stand-in refuses what SendGrid refuses and answers what SendGrid answers."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from leadorch.adapters.standins.sendgrid import SendGridStandIn
from leadorch.adapters.standins.server import serve_in_thread

API_KEY = "SG.standin-test.key"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[SendGridStandIn, httpx.Client]]:
    standin = SendGridStandIn(api_key=API_KEY)
    server = serve_in_thread(standin.app)
    with httpx.Client(base_url=server.url, timeout=5) as client:
        yield standin, client
    server.stop()


@pytest.fixture
def standin(served: tuple[SendGridStandIn, httpx.Client]) -> SendGridStandIn:
    served[0].reset()
    return served[0]


@pytest.fixture
def client(served: tuple[SendGridStandIn, httpx.Client], standin: SendGridStandIn) -> httpx.Client:
    return served[1]


def valid_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "personalizations": [{"to": [{"email": "jane@example.com"}]}],
        "from": {"email": "hello@shop.example", "name": "Shop"},
        "subject": "Hello",
        "content": [{"type": "text/plain", "value": "Hi"}, {"type": "text/html", "value": "<p>Hi</p>"}],
    }
    body.update(changes)
    return body


def post(client: httpx.Client, body: Any, *, key: str | None = API_KEY) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post("/v3/mail/send", json=body, headers=headers)


def test_accepts_a_valid_message_with_202_an_empty_body_and_a_message_id(
    client: httpx.Client, standin: SendGridStandIn
) -> None:
    response = post(client, valid_body())

    assert response.status_code == 202
    assert response.content == b""
    assert response.headers["X-Message-Id"] == standin.outbox[0].message_id


def test_a_request_without_credentials_is_unauthorized(
    client: httpx.Client, standin: SendGridStandIn
) -> None:
    response = post(client, valid_body(), key=None)

    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "Permission denied, wrong credentials"
    assert standin.outbox == []


def test_a_body_that_is_not_json_is_refused(client: httpx.Client) -> None:
    response = client.post(
        "/v3/mail/send",
        content=b"to=jane@example.com",
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 415


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"personalizations": []}, "personalizations"),
        ({"personalizations": [{"to": []}]}, "personalizations.0.to"),
        ({"personalizations": [{"to": [{"email": "not-an-address"}]}]}, "personalizations.0.to.0.email"),
        ({"from": {"name": "No address"}}, "from"),
        ({"subject": ""}, "subject"),
        ({"content": []}, "content"),
        (
            {"content": [{"type": "text/html", "value": "<p>Hi</p>"}, {"type": "text/plain", "value": "Hi"}]},
            "content",
        ),
        ({"content": [{"type": "text/plain", "value": ""}]}, "content.0.value"),
        ({"headers": {"Subject": "sneaky"}}, "headers"),
        ({"headers": {"reply-to": "x@example.com"}}, "headers"),
        (
            {"personalizations": [{"to": [{"email": "a@example.com"}], "headers": {"CC": "b@example.com"}}]},
            "personalizations.0.headers",
        ),
        ({"custom_args": {"touch": 1}}, "custom_args"),
    ],
)
def test_malformed_messages_are_refused_naming_the_field(
    client: httpx.Client, standin: SendGridStandIn, changes: dict[str, Any], field: str
) -> None:
    response = post(client, valid_body(**changes))

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == field
    assert error["message"]
    assert standin.outbox == []


def test_injected_faults_apply_to_the_next_calls_only(client: httpx.Client, standin: SendGridStandIn) -> None:
    standin.fail_next(2, status=500)
    standin.fail_next(1, status=429)

    statuses = [post(client, valid_body()).status_code for _ in range(4)]

    assert statuses == [500, 500, 429, 202]
    assert len(standin.outbox) == 1


def test_a_rate_limited_answer_carries_rate_limit_headers(
    client: httpx.Client, standin: SendGridStandIn
) -> None:
    standin.fail_next(status=429)

    response = post(client, valid_body())

    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.json() == {"errors": [{"message": "too many requests", "field": None, "help": None}]}


def test_concurrent_sends_are_all_recorded(client: httpx.Client, standin: SendGridStandIn) -> None:
    def send(index: int) -> str:
        body = valid_body(personalizations=[{"to": [{"email": f"lead{index}@example.com"}]}])
        return post(client, body).headers["X-Message-Id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(send, range(24)))

    assert len(set(ids)) == 24
    assert sorted(sent.to[0] for sent in standin.outbox) == sorted(f"lead{i}@example.com" for i in range(24))
