"""Who may use the console: a signed session from a valid token, scoped to the tenants that token may
see, and forms that only this session's pages can submit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from litestar.testing import TestClient
from tests.app.test_console_world import (
    ADMIN_TOKEN,
    OTHER_TENANT,
    TENANT,
    ConsoleWorld,
    build_world,
    csrf_of,
    log_in,
)

from leadorch.app.console.session import SESSION_COOKIE, issue_session, read_session
from leadorch.app.http.app import create_app
from leadorch.app.readmodels.leads import get_lead

PAGES = ("", "/leads", "/outbox", "/settings")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleWorld]:
    """One world for the file: nothing here manages to change it (that is the point)."""
    built = build_world(f"sqlite:///{tmp_path_factory.mktemp('console-auth') / 'events.db'}")
    yield built
    built.container.close()


@pytest.fixture
def client(world: ConsoleWorld) -> Iterator[TestClient]:
    with TestClient(create_app(world.container), base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.mark.parametrize("page", PAGES)
def test_without_a_session_every_page_sends_the_visitor_to_log_in_and_back(
    client: TestClient, page: str
) -> None:
    answer = client.get(f"/console/t/{TENANT}{page}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/console/login?next={quote(f'/console/t/{TENANT}{page}', safe='')}"
    assert client.get("/console/", follow_redirects=False).headers["location"] == "/console/login"


def test_without_a_session_a_button_changes_nothing(client: TestClient, world: ConsoleWorld) -> None:
    lead_id = world.leads["John"]
    answer = client.post(
        f"/console/t/{TENANT}/leads/{lead_id}/pause", data={"reason": "x"}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")
    assert get_lead(world.container.db, TENANT, lead_id).automation_paused is False  # type: ignore[union-attr]


def test_the_operator_token_opens_a_session_that_sees_every_tenant(client: TestClient) -> None:
    assert (
        log_in(client, ADMIN_TOKEN, next_path=f"/console/t/{TENANT}/outbox") == f"/console/t/{TENANT}/outbox"
    )
    cookie = next(c for c in client.cookies.jar if c.name == SESSION_COOKIE)
    assert cookie.path == "/console"
    assert cookie.has_nonstandard_attr("HttpOnly")
    picker = client.get("/console/")
    assert picker.status_code == 200
    assert "Sunshield Tint" in picker.text and "Other Tint" in picker.text
    assert client.get(f"/console/t/{OTHER_TENANT}").status_code == 200
    assert "Ana via console (admin-token)" in picker.text


def test_the_session_cookie_is_http_only_and_same_site_strict(world: ConsoleWorld) -> None:
    with TestClient(create_app(world.container)) as client:
        form = client.get("/console/login")
        nonce = csrf_nonce = form.text.split('name="login_nonce" value="')[1].split('"')[0]
        answer = client.post(
            "/console/login",
            data={"token": ADMIN_TOKEN, "login_nonce": nonce, "next": "/console"},
            follow_redirects=False,
        )
    header = next(
        value
        for key, value in answer.headers.multi_items()
        if key == "set-cookie" and value.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in header and "SameSite=strict" in header and "Path=/console" in header
    assert ADMIN_TOKEN not in header and csrf_nonce not in header  # the cookie carries no token


def test_a_tenant_token_sees_its_own_tenant_and_nothing_of_another(
    client: TestClient, world: ConsoleWorld
) -> None:
    assert log_in(client, world.tenant_token) == f"/console/t/{TENANT}"
    assert client.get("/console/", follow_redirects=False).headers["location"] == f"/console/t/{TENANT}"
    for page in PAGES:
        assert client.get(f"/console/t/{TENANT}{page}").status_code == 200
        other = client.get(f"/console/t/{OTHER_TENANT}{page}")
        assert other.status_code == 404
        assert "Other Tint" not in other.text
    # another tenant's lead, asked for under one's own tenant or under its own, is not there
    assert client.get(f"/console/t/{TENANT}/leads/{world.other_lead}").status_code == 404
    assert client.get(f"/console/t/{OTHER_TENANT}/leads/{world.other_lead}").status_code == 404
    assert client.get("/console/t/no-such-tenant").status_code == 404


def test_a_tenant_token_cannot_act_on_another_tenants_lead(world: ConsoleWorld) -> None:
    with TestClient(create_app(world.container), base_url="http://testserver.local") as client:
        log_in(client, world.other_token)
        csrf = csrf_of(client.get(f"/console/t/{OTHER_TENANT}").text)
        answer = client.post(
            f"/console/t/{TENANT}/leads/{world.leads['John']}/pause",
            data={"csrf": csrf},
            follow_redirects=False,
        )
    assert answer.status_code == 404
    assert get_lead(world.container.db, TENANT, world.leads["John"]).automation_paused is False  # type: ignore[union-attr]


def test_a_wrong_token_is_refused_with_a_reason(client: TestClient) -> None:
    form = client.get("/console/login")
    nonce = form.text.split('name="login_nonce" value="')[1].split('"')[0]
    answer = client.post("/console/login", data={"token": "not-a-token", "login_nonce": nonce})
    assert answer.status_code == 401
    assert "that token is not valid" in answer.text
    nonce = answer.text.split('name="login_nonce" value="')[1].split('"')[0]  # each form gets its own
    empty = client.post("/console/login", data={"token": "  ", "login_nonce": nonce})
    assert empty.status_code == 401 and "enter the operator&#39;s admin token" in empty.text
    assert SESSION_COOKIE not in client.cookies


def test_a_login_form_not_served_to_this_browser_is_refused(client: TestClient) -> None:
    answer = client.post("/console/login", data={"token": ADMIN_TOKEN, "login_nonce": "guessed"})
    assert answer.status_code == 400
    assert "the login form expired" in answer.text
    assert SESSION_COOKIE not in client.cookies


def test_after_logging_in_the_console_never_sends_the_browser_to_another_site(client: TestClient) -> None:
    for target in (
        "https://evil.example/console",
        "//evil.example/console",
        "/console/../admin",
        "/elsewhere",
    ):
        client.cookies.clear()
        landed = log_in(client, ADMIN_TOKEN, next_path=target)
        assert landed.startswith("/console") and "evil" not in landed


def test_a_forged_or_expired_session_counts_as_none(client: TestClient, world: ConsoleWorld) -> None:
    secret = world.container.settings.secret_key
    now = time.time()
    _, expired = issue_session(secret, tenant_id=None, name="Ana", now=now - 3600, seconds=60)
    _, other_key = issue_session(
        "another-secret-key-of-at-least-32-chars", tenant_id=None, name="Ana", now=now
    )
    _, genuine = issue_session(secret, tenant_id=OTHER_TENANT, name="Ana", now=now)
    payload, signature = genuine.split(".")
    tampered = f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    assert read_session(secret, genuine, now=now) is not None
    for value in (expired, other_key, tampered, "garbage", "a.b.c", ""):
        assert read_session(secret, value, now=now) is None
        client.cookies.set(SESSION_COOKIE, value, path="/console")
        answer = client.get(f"/console/t/{TENANT}", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")


def test_forms_without_this_sessions_csrf_token_are_refused(client: TestClient, world: ConsoleWorld) -> None:
    log_in(client, ADMIN_TOKEN)
    lead = f"/console/t/{TENANT}/leads/{world.leads['John']}"
    for form in ({}, {"csrf": "forged"}, {"csrf": ""}):
        answer = client.post(f"{lead}/pause", data=form, follow_redirects=False)
        assert answer.status_code == 403
        assert "reload the page" in answer.text
    assert get_lead(world.container.db, TENANT, world.leads["John"]).automation_paused is False  # type: ignore[union-attr]

    # a token from another session is refused too: it is bound to the session it was issued for
    stale = csrf_of(client.get(lead).text)
    client.cookies.clear()
    log_in(client, ADMIN_TOKEN)
    assert client.post(f"{lead}/pause", data={"csrf": stale}, follow_redirects=False).status_code == 403


def test_logging_out_ends_the_session(client: TestClient) -> None:
    log_in(client, ADMIN_TOKEN)
    csrf = csrf_of(client.get("/console/").text)
    answer = client.post("/console/logout", data={"csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/login"
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/console/", follow_redirects=False).headers["location"] == "/console/login"


def test_the_short_lead_link_in_staff_alerts_opens_the_lead_for_whoever_may_see_it(
    client: TestClient, world: ConsoleWorld
) -> None:
    lead_id = world.leads["John"]
    anonymous = client.get(f"/console/leads/{lead_id}", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/console/login" in anonymous.headers["location"]

    log_in(client, world.tenant_token)
    found = client.get(f"/console/leads/{lead_id}", follow_redirects=False)
    assert found.status_code == 303
    assert found.headers["location"] == f"/console/t/{TENANT}/leads/{lead_id}"
    assert client.get(f"/console/leads/{world.other_lead}", follow_redirects=False).status_code == 404


def test_the_operator_follows_the_short_lead_link_to_any_tenant(
    client: TestClient, world: ConsoleWorld
) -> None:
    log_in(client, ADMIN_TOKEN)
    found = client.get(f"/console/leads/{world.other_lead}", follow_redirects=False)
    assert found.headers["location"] == f"/console/t/{OTHER_TENANT}/leads/{world.other_lead}"
