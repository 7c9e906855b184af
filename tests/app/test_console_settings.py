"""The settings page: every form saves through the configuration service (audited under the person's
name), and a value it refuses comes back next to its field, with what was typed kept — never a 500."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from tests.app.test_console_pages import section
from tests.app.test_console_world import (
    ADMIN_TOKEN,
    AUSTIN,
    DALLAS,
    TENANT,
    ConsoleWorld,
    build_world,
    csrf_of,
    log_in,
)

from leadorch.app.http.app import create_app

SETTINGS = f"/console/t/{TENANT}/settings"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleWorld]:
    """One world for the file; each test edits its own part of the configuration."""
    built = build_world(f"sqlite:///{tmp_path_factory.mktemp('console-settings') / 'events.db'}")
    yield built
    built.container.close()


@pytest.fixture
def client(world: ConsoleWorld) -> Iterator[TestClient]:
    with TestClient(create_app(world.container), base_url="http://testserver.local") as test_client:
        log_in(test_client, ADMIN_TOKEN, name="Ana")
        yield test_client


def submit(client: TestClient, path: str, fields: dict[str, str | list[str]]) -> tuple[int, str]:
    csrf = csrf_of(client.get(SETTINGS).text)
    answer = client.post(f"{SETTINGS}/{path}", data={"csrf": csrf, **fields})
    return answer.status_code, answer.text


def field_error(page: str, field_id: str) -> str:
    """The message shown next to the field with id `field_id`."""
    found = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>([^<]*)<', page)
    assert found is not None, f"no error next to {field_id}"
    return html.unescape(found.group(1))


def field_value(page: str, field_id: str) -> str:
    found = re.search(rf'<input id="{re.escape(field_id)}"[^>]*value="([^"]*)"', page)
    assert found is not None, f"no field {field_id}"
    return html.unescape(found.group(1))


def config(world: ConsoleWorld):  # type: ignore[no-untyped-def]
    return world.container.config


# ------------------------------------------------------------------------------------------- tenant


def test_the_tenant_form_saves_and_the_change_is_audited_under_the_persons_name(
    client: TestClient, world: ConsoleWorld
) -> None:
    status, page = submit(client, "tenant", {"name": "Sunshield Tint & Film", "max_sms_segments": "3"})
    assert status == 200
    assert "Tenant settings saved." in page
    tenant = config(world).tenant(TENANT)
    assert (tenant.name, tenant.max_sms_segments) == ("Sunshield Tint & Film", 3)
    latest = config(world).audit(TENANT, limit=1)[0]
    assert latest.action == "tenant.update" and latest.actor == "Ana via console (admin-token)"


def test_the_tenant_form_turns_the_assistant_off_for_texts_and_emails_and_sets_the_live_window(
    client: TestClient, world: ConsoleWorld
) -> None:
    shown = {"name": "Sunshield", "max_sms_segments": "2", "assistant_answers_shown": "1"}

    off, page = submit(client, "tenant", {**shown, "live_conversation_minutes": "30"})  # the box unticked
    tenant = config(world).tenant(TENANT)
    on, _ = submit(
        client, "tenant", {**shown, "assistant_answers_messages": "on", "live_conversation_minutes": "15"}
    )
    bad, refused = submit(client, "tenant", {**shown, "live_conversation_minutes": "0"})

    assert (off, on, bad) == (200, 200, 422)
    assert (tenant.assistant_answers_messages, tenant.live_conversation_minutes) == (False, 30)
    assert (
        'id="tenant-assistant_answers_messages"' in page
        and field_value(page, "tenant-live_conversation_minutes") == "30"
    )
    assert config(world).tenant(TENANT).assistant_answers_messages is True
    assert "live conversation minutes must be between 1 and 1440" in field_error(
        refused, "tenant-live_conversation_minutes"
    )


def test_a_page_without_the_assistant_box_leaves_the_setting_alone(
    client: TestClient, world: ConsoleWorld
) -> None:
    config(world).update_tenant(TENANT, assistant_answers_messages=False, actor="test")

    status, _ = submit(client, "tenant", {"name": "Sunshield", "max_sms_segments": "2"})

    assert status == 200 and config(world).tenant(TENANT).assistant_answers_messages is False
    config(world).update_tenant(TENANT, assistant_answers_messages=True, actor="test")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "Sunshield", "max_sms_segments": "eleven"}, "max_sms_segments", "max SMS segments must be a whole number, not 'eleven'"),
        ({"name": "Sunshield", "max_sms_segments": "11"}, "max_sms_segments", "max SMS segments must be between 1 and 10, not 11"),
        ({"name": "  ", "max_sms_segments": "2"}, "name", "tenant name must not be empty"),
    ],
)  # fmt: skip
def test_a_refused_tenant_value_is_shown_next_to_its_field_with_what_was_typed(
    client: TestClient, world: ConsoleWorld, fields: dict[str, str], field: str, message: str
) -> None:
    before = config(world).tenant(TENANT)
    status, page = submit(client, "tenant", fields)
    assert status == 422
    assert field_error(page, f"tenant-{field}") == message
    assert field_value(page, f"tenant-{field}") == fields[field]
    assert config(world).tenant(TENANT) == before


def test_demo_mode_and_its_allow_list(client: TestClient, world: ConsoleWorld) -> None:
    status, page = submit(client, "allow-list", {"address": "not an address"})
    assert status == 422
    assert "is not a valid phone number" in field_error(page, "allow-address")
    status, page = submit(client, "allow-list", {"address": "Owner@Sunshield.example.com"})
    assert status == 200 and "<code>owner@sunshield.example.com</code>" in page
    status, page = submit(client, "allow-list-remove", {"address": "owner@sunshield.example.com"})
    assert status == 200 and "owner@sunshield.example.com" not in config(world).tenant(TENANT).allow_list

    assert config(world).tenant(TENANT).demo_mode is True
    status, page = submit(client, "demo-mode", {"demo_mode": "off", "confirm": TENANT})
    assert status == 200 and "Demo mode is off: messages now go to real customers." in page
    assert config(world).tenant(TENANT).demo_mode is False
    status, page = submit(client, "demo-mode", {"demo_mode": "sideways"})
    assert status == 422 and "demo mode is 'on' or 'off', not 'sideways'" in html.unescape(page)
    submit(client, "demo-mode", {"demo_mode": "on"})
    assert config(world).tenant(TENANT).demo_mode is True


def test_turning_demo_mode_off_is_not_one_click_the_operator_types_the_tenants_id(
    client: TestClient, world: ConsoleWorld
) -> None:
    form = section(client.get(SETTINGS).text, "demo-mode-form")
    assert '<input id="demo-confirm" name="confirm" type="text"' in form and "required" in form
    for typed in ("", "yes", "othertint"):
        status, page = submit(client, "demo-mode", {"demo_mode": "off", "confirm": typed})
        assert status == 422
        assert field_error(page, "demo-confirm").startswith(
            f"to turn demo mode off, confirm with the tenant's id ('{TENANT}')"
        )
    assert config(world).tenant(TENANT).demo_mode is True

    status, page = submit(client, "demo-mode", {"demo_mode": "off", "confirm": f" {TENANT} "})
    assert status == 200 and "Demo mode is off" in page
    latest = config(world).audit(TENANT, limit=1)[0]
    assert (latest.action, latest.actor) == ("tenant.demo_mode.off", "Ana via console (admin-token)")
    submit(client, "demo-mode", {"demo_mode": "on"})


def test_a_tenant_login_cannot_turn_demo_mode_off(world: ConsoleWorld) -> None:
    with TestClient(create_app(world.container), base_url="http://testserver.local") as tenant_client:
        log_in(tenant_client, world.tenant_token, name="Sam")
        page = tenant_client.get(SETTINGS).text
        assert 'id="demo-mode-form"' not in page
        assert "Only the operator can turn demo mode off" in page
        csrf = csrf_of(page)
        answer = tenant_client.post(
            f"{SETTINGS}/demo-mode", data={"csrf": csrf, "demo_mode": "off", "confirm": TENANT}
        )
    assert answer.status_code == 403
    assert "only the operator (the admin token) can turn demo mode off" in html.unescape(answer.text)
    assert config(world).tenant(TENANT).demo_mode is True
    assert config(world).audit(TENANT, limit=1)[0].action != "tenant.demo_mode.off"


# ----------------------------------------------------------------------------------------- location


def shop(**changes: str) -> dict[str, str]:
    fields = {
        "name": "Sunshield Dallas", "time_zone": "America/Chicago", "phone": "+12145550100", "address": "",
        "capacity": "2", "min_lead_minutes": "120", "slot_granularity_minutes": "30",
    }  # fmt: skip
    return {**fields, **changes}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"capacity": "0"}, "capacity", "capacity (bays) must be between 1 and 100, not 0"),
        ({"capacity": "two"}, "capacity", "capacity (bays) must be a whole number, not 'two'"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "time zone 'Mars/Olympus' is not an IANA time zone name"),
        ({"phone": "12"}, "phone", "location phone '12' is not a valid phone number"),
        ({"slot_granularity_minutes": "7"}, "slot_granularity_minutes", "slot granularity must divide a day evenly"),
        ({"booking_horizon_days": "0"}, "booking_horizon_days", "booking horizon in days must be between 1 and 365"),
        ({"booking_horizon_days": "soon"}, "booking_horizon_days", "booking horizon in days must be a whole number"),
    ],
)  # fmt: skip
def test_a_refused_shop_value_is_shown_next_to_its_field(
    client: TestClient, world: ConsoleWorld, changes: dict[str, str], field: str, message: str
) -> None:
    before = config(world).location(TENANT, DALLAS)
    status, page = submit(client, f"locations/{DALLAS}/shop", shop(**changes))
    assert status == 422
    assert field_error(page, f"location:{DALLAS}-{field}").startswith(message)
    assert field_value(page, f"location:{DALLAS}-{field}") == changes[field]
    assert config(world).location(TENANT, DALLAS) == before


def test_the_shop_form_saves(client: TestClient, world: ConsoleWorld) -> None:
    status, page = submit(
        client,
        f"locations/{DALLAS}/shop",
        shop(capacity="3", address="1 Main St, Dallas", booking_horizon_days="90"),
    )
    assert status == 200 and "Location saved." in page
    location = config(world).location(TENANT, DALLAS)
    assert (location.capacity, location.address, location.booking_horizon_days) == (
        3,
        "1 Main St, Dallas",
        90,
    )
    assert field_value(page, f"location:{DALLAS}-booking_horizon_days") == "90"
    assert "every marketing email carries it (CAN-SPAM)" in page


def test_the_shop_form_turns_the_assistant_off_for_that_shop(client: TestClient, world: ConsoleWorld) -> None:
    status, page = submit(client, f"locations/{DALLAS}/shop", {**shop(), "assistant_answers_shown": "1"})
    assert status == 200 and config(world).location(TENANT, DALLAS).assistant_answers_messages is False
    assert f'id="location:{DALLAS}-assistant_answers_messages"' in page
    submit(
        client,
        f"locations/{DALLAS}/shop",
        {**shop(), "assistant_answers_shown": "1", "assistant_answers_messages": "on"},
    )
    assert config(world).location(TENANT, DALLAS).assistant_answers_messages is True


def test_the_shop_form_lists_the_bookable_technicians_and_an_empty_field_clears_them(
    client: TestClient, world: ConsoleWorld
) -> None:
    status, page = submit(client, f"locations/{DALLAS}/shop", shop(technician_ids="tech-mina, tech-gus"))
    listed = config(world).location(TENANT, DALLAS).technician_ids
    _, cleared_page = submit(client, f"locations/{DALLAS}/shop", shop(technician_ids=""))

    assert status == 200 and listed == ["tech-mina", "tech-gus"]
    assert field_value(page, f"location:{DALLAS}-technician_ids") == "tech-mina, tech-gus"
    assert config(world).location(TENANT, DALLAS).technician_ids == []
    assert "Location saved." in cleared_page


def test_a_shop_without_a_postal_address_is_told_no_follow_up_email_goes_out(
    client: TestClient, world: ConsoleWorld
) -> None:
    status, page = submit(client, f"locations/{DALLAS}/shop", shop(address=""))
    assert status == 200 and config(world).location(TENANT, DALLAS).address is None
    assert "missing: no follow-up email goes out until it is set (CAN-SPAM)" in html.unescape(page)


def test_opening_hours_are_typed_compactly_and_checked(client: TestClient, world: ConsoleWorld) -> None:
    status, page = submit(client, f"locations/{AUSTIN}/hours", {"hours": "mon-fri 9-5"})
    assert status == 422
    assert (
        field_error(page, f"hours:{AUSTIN}-hours")
        == "hours on mon '9' must be a time written HH:MM, e.g. 09:00"
    )
    assert field_value(page, f"hours:{AUSTIN}-hours") == "mon-fri 9-5"
    status, page = submit(client, f"locations/{AUSTIN}/hours", {"hours": "mon-sat 08:00-18:00; sun closed"})
    assert status == 200 and "Opening hours saved." in page
    assert config(world).location(TENANT, AUSTIN).weekly_hours["sat"] == ["08:00-18:00"]
    assert field_value(page, f"hours:{AUSTIN}-hours") == "mon-sat 08:00-18:00; sun closed"


def test_the_sending_window_keeps_to_the_legal_hours(client: TestClient, world: ConsoleWorld) -> None:
    status, page = submit(
        client, f"locations/{AUSTIN}/window", {"start": "07:00", "end": "20:00", "days": ["mon"]}
    )
    assert status == 422
    assert "outside the allowed calling hours 08:00–21:00" in html.unescape(page)
    status, page = submit(client, f"locations/{AUSTIN}/window", {"start": "09:00", "end": "20:00"})
    assert status == 422 and "tick at least one day" in page
    status, page = submit(
        client, f"locations/{AUSTIN}/window", {"start": "nine", "end": "20:00", "days": ["mon"]}
    )
    assert (
        field_error(page, f"window:{AUSTIN}-start")
        == "sending window start 'nine' must be a time written HH:MM, e.g. 09:00"
    )
    status, page = submit(
        client,
        f"locations/{AUSTIN}/window",
        {"start": "10:00", "end": "19:30", "days": ["mon", "tue", "sat"]},
    )
    assert status == 200 and "Sending window saved." in page
    window = config(world).location(TENANT, AUSTIN).window
    assert (window.start, window.end, window.days) == ("10:00", "19:30", ["mon", "tue", "sat"])


def test_a_location_price_overrides_the_catalog_price_until_cleared(
    client: TestClient, world: ConsoleWorld
) -> None:
    status, page = submit(client, f"locations/{AUSTIN}/prices", {"price:ceramic": "four hundred"})
    assert status == 422
    assert "must be an amount in dollars" in field_error(page, f"prices:{AUSTIN}-price:ceramic")
    status, page = submit(client, f"locations/{AUSTIN}/prices", {"price:ceramic": "399.50"})
    assert status == 200 and "Prices saved (1 changed)." in page
    assert config(world).catalog(TENANT, AUSTIN)[0].price_cents == 39950
    assert config(world).catalog(TENANT, DALLAS)[0].price_cents == 45000  # only this location
    status, page = submit(client, f"locations/{AUSTIN}/prices", {"price:ceramic": ""})
    assert status == 200
    assert config(world).catalog(TENANT, AUSTIN)[0].price_cents == 45000


# ---------------------------------------------------------------------------------------- templates


def test_a_touch_template_is_checked_saved_and_reset(client: TestClient, world: ConsoleWorld) -> None:
    page = client.get(SETTINGS).text
    defaults = {
        part: html.unescape(re.search(rf'id="template:3-{part}"[^>]*>([^<]*)</textarea>', page).group(1))  # type: ignore[union-attr]
        for part in ("email_text", "email_html", "sms")
    }
    subject = field_value(page, "template:3-email_subject")
    fields = {"email_subject": subject, **defaults}

    status, page = submit(client, "templates/3/save", {**fields, "sms": "Hi {{ firstname }}!"})
    assert status == 422
    assert "unknown field 'firstname'" in field_error(page, "template:3-sms")
    assert "Hi {{ firstname }}!" in html.unescape(page)  # what was typed is kept
    assert 3 not in config(world).tenant(TENANT).templates

    status, page = submit(
        client, "templates/3/save", {**fields, "sms": "Hi {{ first_name }}, still thinking about tint?"}
    )
    assert status == 200 and "Templates of touch 3 saved." in page
    own = config(world).tenant(TENANT).templates[3]
    assert own.sms == "Hi {{ first_name }}, still thinking about tint?"
    assert own.email_subject is None and own.email_text is None  # unchanged parts stay the defaults

    status, page = submit(client, "templates/3/reset", {})
    assert status == 200 and "Touch 3 uses the default templates again." in page
    assert 3 not in config(world).tenant(TENANT).templates


@pytest.mark.parametrize(
    "path",
    [
        "nonsense",
        f"locations/{AUSTIN}/nonsense",
        "locations/paris/shop",
        "templates/99/save",
        "templates/3/x",
    ],
)
def test_a_form_that_does_not_exist_is_not_found(client: TestClient, path: str) -> None:
    status, page = submit(client, path, {"name": "x"})
    assert status == 404
    assert "Not found" in page
