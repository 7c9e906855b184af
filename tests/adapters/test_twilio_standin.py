"""The Twilio stand-in refuses what Twilio refuses, with Twilio's error codes and body shape."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from leadorch.adapters.standins.server import serve_in_thread
from leadorch.adapters.standins.twilio import TwilioStandIn

ACCOUNT_SID = "AC" + "3c" * 16
AUTH_TOKEN = "standin-shape-token"
PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
SHOP_NUMBER = "+15125550100"
SERVICE_SID = "MG" + "0f" * 16
VALID = {"To": "+15125550123", "From": SHOP_NUMBER, "Body": "Hello"}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[TwilioStandIn, httpx.Client]]:
    standin = TwilioStandIn(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        phone_numbers=[SHOP_NUMBER],
        messaging_service_sids=[SERVICE_SID],
    )
    server = serve_in_thread(standin.app)
    with httpx.Client(base_url=server.url, timeout=5, auth=(ACCOUNT_SID, AUTH_TOKEN)) as client:
        yield standin, client
    server.stop()


@pytest.fixture
def standin(served: tuple[TwilioStandIn, httpx.Client]) -> TwilioStandIn:
    served[0].reset()
    return served[0]


@pytest.fixture
def client(served: tuple[TwilioStandIn, httpx.Client], standin: TwilioStandIn) -> httpx.Client:
    return served[1]


def test_a_valid_request_gets_the_201_message_resource(client: httpx.Client, standin: TwilioStandIn) -> None:
    response = client.post(PATH, data=VALID)

    assert response.status_code == 201
    resource = response.json()
    assert resource["sid"] == standin.outbox[0].sid
    assert resource["status"] == "queued"
    assert resource["direction"] == "outbound-api"
    assert (resource["to"], resource["from"], resource["body"]) == ("+15125550123", "+15125550100", "Hello")
    assert resource["account_sid"] == ACCOUNT_SID
    assert resource["num_segments"] == "1"
    assert resource["uri"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{resource['sid']}.json"


@pytest.mark.parametrize(
    "auth",
    [None, (ACCOUNT_SID, "wrong-token"), ("AC" + "00" * 16, AUTH_TOKEN)],
    ids=["no credentials", "wrong token", "other account"],
)
def test_requests_without_this_accounts_credentials_are_refused(
    served: tuple[TwilioStandIn, httpx.Client], standin: TwilioStandIn, auth: tuple[str, str] | None
) -> None:
    response = served[1].post(PATH, data=VALID, auth=auth)  # auth=None sends no credentials at all

    assert response.status_code == 401
    assert response.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    assert standin.outbox == []


def test_a_path_naming_another_account_is_refused(client: httpx.Client) -> None:
    other = PATH.replace(ACCOUNT_SID, "AC" + "00" * 16)

    assert client.post(other, data=VALID).json()["code"] == 20003


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": "+15125550100", "Body": "Hi"}, 21604),
        ({"To": "+15125550123", "Body": "Hi"}, 21603),
        ({"To": "+15125550123", "From": "+15125550100"}, 21602),
        ({"To": "+15125550123", "From": "+15125550100", "Body": "x" * 1601}, 21617),
        ({"To": "(512) 555-0123", "From": "+15125550100", "Body": "Hi"}, 21211),
        ({"To": "+15125550123", "MessagingServiceSid": "MG-not-a-sid", "Body": "Hi"}, 21701),
        ({"To": "+15125550123", "From": "+1 512 555 0100", "Body": "Hi"}, 21212),
        ({"To": "+15125550123", "From": "Tint-World-Shop", "Body": "Hi"}, 21212),
    ],
)
def test_malformed_requests_get_twilios_error_code(
    client: httpx.Client, standin: TwilioStandIn, form: dict[str, str], code: int
) -> None:
    response = client.post(PATH, data=form)

    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == code
    assert payload["status"] == 400
    assert payload["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert payload["message"]
    assert standin.outbox == []


@pytest.mark.parametrize(
    ("sender", "code"),
    [
        ({"From": "+15125550199"}, 21606),  # a valid number, but not one this account owns
        ({"From": "+15005550006"}, 21606),  # Twilio's test number, not owned unless listed
        ({"MessagingServiceSid": "MG" + "ab" * 16}, 21701),  # well formed, but no such service here
    ],
)
def test_a_sender_the_account_does_not_own_is_refused_like_twilio(
    client: httpx.Client, standin: TwilioStandIn, sender: dict[str, str], code: int
) -> None:
    response = client.post(PATH, data={"To": "+15125550123", "Body": "Hi", **sender})

    assert (response.status_code, response.json()["code"]) == (400, code)
    assert next(iter(sender.values())) in response.json()["message"]
    assert standin.outbox == []


def test_the_accounts_own_number_and_messaging_service_are_accepted(
    client: httpx.Client, standin: TwilioStandIn
) -> None:
    by_number = client.post(PATH, data=VALID)
    by_service = client.post(
        PATH, data={"To": "+15125550123", "Body": "Hi", "MessagingServiceSid": SERVICE_SID}
    )

    assert (by_number.status_code, by_number.json()["status"]) == (201, "queued")
    assert (by_service.status_code, by_service.json()["status"]) == (201, "accepted")


def test_a_number_added_to_the_account_may_send() -> None:
    standin = TwilioStandIn()
    server = serve_in_thread(standin.app)
    try:
        with httpx.Client(base_url=server.url, auth=(standin.account_sid, standin.auth_token)) as client:
            path = f"/2010-04-01/Accounts/{standin.account_sid}/Messages.json"
            form = {"To": "+15125550123", "From": SHOP_NUMBER, "Body": "Hi"}
            refused = client.post(path, data=form)
            standin.add_phone_number(SHOP_NUMBER)
            accepted = client.post(path, data=form)
    finally:
        server.stop()

    assert (refused.json()["code"], accepted.status_code) == (21606, 201)


def test_a_json_body_is_refused(client: httpx.Client) -> None:
    assert client.post(PATH, json=VALID).status_code == 400


def test_a_recipient_rejection_uses_twilios_body_shape(client: httpx.Client, standin: TwilioStandIn) -> None:
    standin.reject_recipient("+15125550123", code=21610)

    response = client.post(PATH, data=VALID)

    assert response.json() == {
        "code": 21610,
        "message": "Attempt to send to unsubscribed recipient",
        "more_info": "https://www.twilio.com/docs/errors/21610",
        "status": 400,
    }


def test_an_unknown_rejection_code_is_refused_when_configured(standin: TwilioStandIn) -> None:
    with pytest.raises(ValueError, match="unknown Twilio error code 99999"):
        standin.reject_recipient("+15125550123", code=99999)


def test_injected_faults_apply_to_the_next_calls_only(client: httpx.Client, standin: TwilioStandIn) -> None:
    standin.fail_next(1, status=503)
    standin.fail_next(1, status=429)

    responses = [client.post(PATH, data=VALID) for _ in range(3)]

    assert [r.status_code for r in responses] == [503, 429, 201]
    assert responses[1].json()["code"] == 20429
    assert len(standin.outbox) == 1
