"""The operator can find where to point SendGrid's Inbound Parse: the CLI and the console's settings say it.

The URL printed is the one the webhook accepts (a request with its key is not refused), and each tenant's
sending domains are listed with the MX record they need. A tenant's own console session sees the URL
without its key (the key is the deployment's, good for every tenant's customers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.app.test_console_world import log_in

from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.cli import main
from leadorch.app.http.app import create_app
from leadorch.app.http.webhooks_sendgrid import inbound_parse_url
from leadorch.app.http.webhooks_sendgrid_events import email_events_url
from leadorch.app.settings import load_settings

PUBLIC = "https://leads.example.com"
ADMIN = "inbound-parse-admin-token"


@pytest.fixture
def container(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    for name, value in (
        ("DATABASE_URL", sqlite_url),
        ("LEADORCH_PUBLIC_BASE_URL", PUBLIC),
        ("LEADORCH_ADMIN_TOKEN", ADMIN),
    ):
        monkeypatch.setenv(name, value)
    built = bootstrap(load_settings())
    config = built.config
    config.create_tenant("tintworld", name="Tint World", actor="test")
    for location_id, sender in (("sd", "sd@tintworld.example.com"), ("la", "la@tintworld.example.com")):
        config.add_location(
            "tintworld", location_id, name=f"Tint World {location_id.upper()}", crm_location_id=f"crm-{location_id}",
            time_zone="America/Los_Angeles", email_from=sender, actor="test",
        )  # fmt: skip
    config.create_tenant("empty", name="No Shops Yet", actor="test")
    yield built
    built.close()


def test_the_cli_prints_the_url_the_webhook_accepts_and_each_sending_domain(
    container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inbound-parse-url", "--tenant", "tintworld"]) == 0
    out = capsys.readouterr().out.splitlines()

    url = inbound_parse_url(container)
    assert out[:2] == ["tenant tintworld: SendGrid Inbound Parse destination URL:", f"  {url}"]
    assert url.startswith(f"{PUBLIC}/webhooks/sendgrid/inbound?key=")
    assert out[2] == (
        "  receiving host tintworld.example.com: MX mx.sendgrid.net; sent from "
        "la@tintworld.example.com, sd@tintworld.example.com by Tint World LA, Tint World SD"
    )
    with TestClient(create_app(container)) as client:
        accepted = client.post(url.removeprefix(PUBLIC), files={"from": (None, "")})
        refused = client.post("/webhooks/sendgrid/inbound?key=guess", files={"from": (None, "")})
    assert accepted.status_code == 200 and refused.status_code == 403


def test_every_tenant_is_listed_without_a_tenant_and_an_unknown_one_is_one_line(
    container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inbound-parse-url"]) == 0
    out = capsys.readouterr().out
    assert "tenant tintworld:" in out and "tenant empty:" in out
    assert "(no location yet" in out

    assert main(["inbound-parse-url", "--tenant", "nobody"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("leadorch: error:") and "nobody" in err[0]


def shown_url(client: TestClient[Any]) -> str:
    page = client.get("/console/t/tintworld/settings")
    assert page.status_code == 200
    found = re.search(r'<code id="inbound-parse-url">([^<]+)</code>', page.text)
    assert found is not None
    assert "tintworld.example.com" in page.text and "mx.sendgrid.net" in page.text
    return unescape(found.group(1))


def test_the_settings_page_shows_the_operator_the_whole_url_and_a_tenant_the_url_without_its_key(
    container: Container,
) -> None:
    tenant_token = container.config.rotate_api_token("tintworld", actor="test")
    with TestClient(create_app(container), base_url="https://testserver.local") as client:
        log_in(client, ADMIN, name="Olga")
        assert shown_url(client) == inbound_parse_url(container)
        client.cookies.clear()
        log_in(client, tenant_token, name="Ana")
        seen = shown_url(client)
    assert seen == f"{PUBLIC}/webhooks/sendgrid/inbound?key=(hidden: ask the operator)"
    assert inbound_parse_url(container).split("key=")[1] not in seen


def test_the_cli_ends_with_the_event_webhook_url_which_refuses_an_unsigned_batch(
    container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inbound-parse-url", "--tenant", "tintworld"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]

    url = email_events_url(container)
    assert last.startswith("SendGrid Event Webhook HTTP POST URL") and last.endswith(f": {url}")
    assert url == f"{PUBLIC}/webhooks/sendgrid/events"
    with TestClient(create_app(container)) as client:
        unsigned = client.post(url.removeprefix(PUBLIC), content=b"[]")
    assert unsigned.status_code == 403  # the route exists and is guarded, never a 404 or a 500
