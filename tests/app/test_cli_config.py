"""The admin CLI as an operator uses it: each command says what it did; bad input is one line and exit 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadorch.adapters.standins.server import serve_in_thread
from leadorch.adapters.standins.shopmonkey import FakeShopMonkey
from leadorch.app.bootstrap import bootstrap
from leadorch.app.cli import main
from leadorch.app.config.models import AuditEntry
from leadorch.app.settings import load_settings

API_KEY = "sm_live_cli_key_0042"
WEBHOOK_SECRET = "whsec_bGVhZG9yY2gtZml4dHVyZS1zZWNyZXQtMzItYnl0ZXMh"


@pytest.fixture(scope="module")
def shopmonkey_url() -> Iterator[str]:
    """The tenant's ShopMonkey (a stand-in on a socket) with its one location, `crm-sd`."""
    fake = FakeShopMonkey(api_key=API_KEY)
    fake.add_location({"id": "crm-sd", "name": "San Diego"})
    server = serve_in_thread(fake)
    yield server.url
    server.stop()


@pytest.fixture
def database(database_url: str, shopmonkey_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SHOPMONKEY_BASE_URL", shopmonkey_url)
    monkeypatch.setenv("USER", "ana")
    return database_url


@pytest.fixture
def sqlite_database(sqlite_url: str, shopmonkey_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("SHOPMONKEY_BASE_URL", shopmonkey_url)
    monkeypatch.setenv("USER", "ana")
    return sqlite_url


@pytest.fixture(scope="module")
def configured_once(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database with tintworld/san-diego set up, shared by the bad-input cases (which change nothing)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'config.db'}"
    container = bootstrap(load_settings({}, database_url=url))
    config = container.config
    config.create_tenant("tintworld", name="Tint World", actor="setup")
    config.add_location(
        "tintworld",
        "san-diego",
        name="San Diego",
        crm_location_id="crm-sd",
        time_zone="America/Los_Angeles",
        actor="setup",
    )
    container.close()
    return url


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _audit(database_url: str) -> list[AuditEntry]:
    container = bootstrap(load_settings({}, database_url=database_url))
    try:
        return container.config.audit(limit=1000)
    finally:
        container.close()


def _setup(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TINTWORLD_SM_KEY", API_KEY)
    code, out, err = _run(
        capsys, "tenants", "create", "tintworld", "--name", "Tint World", "--website-status", "wf-website",
        "--api-key-env", "TINTWORLD_SM_KEY", "--webhook-secret", WEBHOOK_SECRET,
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    code, _, err = _run(
        capsys, "locations", "add", "tintworld", "san-diego", "--name", "Tint World San Diego",
        "--crm-location-id", "crm-sd", "--time-zone", "America/Los_Angeles", "--phone", "(619) 555-0100",
        "--address", "1 Harbor Dr, San Diego, CA", "--hours", "mon-fri 09:00-18:00; sat 10:00-16:00",
        "--capacity", "2",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    return out


def test_an_operator_sets_up_a_tenant_and_a_location(
    database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    created = _setup(capsys, monkeypatch)

    assert "created tenant tintworld (Tint World); demo mode is on" in created
    token = created.rsplit(": ", 1)[1].strip()
    assert token.startswith("lot_") and API_KEY not in created
    code, shown, _ = _run(capsys, "tenants", "show", "tintworld")
    assert code == 0
    assert "demo mode: on" in shown and "CRM API key: set; webhook secret: set" in shown
    assert "locations: san-diego" in shown and API_KEY not in shown
    code, location, _ = _run(capsys, "locations", "show", "tintworld", "san-diego")
    assert "hours: mon-fri 09:00-18:00; sat 10:00-16:00; sun closed" in location
    assert "phone: +16195550100" in location and "capacity: 2 bay(s)" in location

    audit = _audit(database)
    assert [(e.actor, e.action) for e in reversed(audit)] == [
        ("ana", "tenant.create"),
        ("ana", "location.create"),
    ]
    assert audit[-1].changes["crm_api_key"] == "(changed)"


def test_tenants_update_sets_the_words_the_chat_ignores_in_service_names(
    sqlite_database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(capsys, monkeypatch)

    code, out, _ = _run(
        capsys, "tenants", "update", "tintworld", "--generic-word", "Wrap", "--generic-word", "vinyl"
    )

    assert code == 0
    assert "  catalog generic words: wrap, vinyl" in out.splitlines()


def test_an_operator_turns_the_assistant_off_for_texts_and_emails_and_sets_the_live_conversation(
    sqlite_database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(capsys, monkeypatch)

    code, out, _ = _run(
        capsys,
        "tenants",
        "update",
        "tintworld",
        "--assistant-answers",
        "off",
        "--live-conversation-minutes",
        "30",
    )
    shop_code, shop, _ = _run(
        capsys, "locations", "update", "tintworld", "san-diego", "--assistant-answers", "off"
    )
    back_code, back, _ = _run(capsys, "tenants", "update", "tintworld", "--assistant-answers", "on")

    assert (code, shop_code, back_code) == (0, 0, 0)
    assert "  assistant answers texts and emails: off; live conversation: 30 min" in out.splitlines()
    assert "  assistant answers texts and emails here: off" in shop.splitlines()
    assert "  assistant answers texts and emails: on; live conversation: 30 min" in back.splitlines()
    changed = [(entry.action, sorted(entry.changes)) for entry in _audit(sqlite_database)][:3]  # newest first
    assert [action for action, _ in changed] == ["tenant.update", "location.update", "tenant.update"], changed


def test_locations_update_lists_the_bookable_technicians_and_clears_them(
    sqlite_database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(capsys, monkeypatch)

    code, out, _ = _run(
        capsys,
        "locations",
        "update",
        "tintworld",
        "san-diego",
        "--technician",
        "tech-mina",
        "--technician",
        "tech-gus",
    )
    cleared_code, cleared, _ = _run(
        capsys, "locations", "update", "tintworld", "san-diego", "--no-technicians"
    )

    assert (code, cleared_code) == (0, 0)
    assert "  technicians: tech-mina, tech-gus" in out.splitlines()
    assert "  technicians: none listed (capacity counts the bays)" in cleared.splitlines()


def test_location_commands_print_what_they_did_and_record_the_actor(
    sqlite_database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(capsys, monkeypatch)
    as_maria = ("--actor", "maria")

    outputs = [
        _run(capsys, "locations", "hours", "tintworld", "san-diego", "mon-sat 09:00-12:00,13:00-17:00", *as_maria),
        _run(capsys, "locations", "holiday", "tintworld", "san-diego", "2026-11-26", "--note", "Thanksgiving", *as_maria),
        _run(capsys, "locations", "window", "tintworld", "san-diego", "10:00-19:00", "--days", "mon-sat", *as_maria),
        _run(capsys, "locations", "staff", "tintworld", "san-diego", "set", "Ana Ruiz", "--email", "Ana@Example.com",
             "--alerts", "new_lead,handoff", *as_maria),
        _run(capsys, "locations", "update", "tintworld", "san-diego", "--min-lead-minutes", "60",
             "--booking-horizon-days", "45", *as_maria),
        _run(capsys, "locations", "list", "tintworld"),
    ]  # fmt: skip

    assert [code for code, _, _ in outputs] == [0] * len(outputs)
    printed = [out.strip() for _, out, _ in outputs]
    assert printed[0] == "tintworld/san-diego hours: mon-sat 09:00-12:00,13:00-17:00; sun closed"
    assert printed[1] == "tintworld/san-diego: 2026-11-26 is closed (Thanksgiving)"
    assert printed[2] == "tintworld/san-diego sends messages 10:00-19:00 on mon-sat"
    assert (
        printed[3]
        == "tintworld/san-diego: staff contact Ana Ruiz <ana@example.com> alerts: handoff, new_lead"
    )
    assert "min lead time: 60 min" in printed[4] and "bookings up to 45 days ahead" in printed[4]
    assert printed[5].startswith("san-diego\tTint World San Diego\tCRM crm-sd")
    maria = [e.action for e in _audit(sqlite_database) if e.actor == "maria"]
    assert maria == [
        "location.update",
        "location.staff.set",
        "location.sending_window",
        "location.exception.set",
        "location.hours",
    ]


def test_demo_mode_allow_list_and_token_rotation(
    sqlite_database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(capsys, monkeypatch)

    _, allowed, _ = _run(capsys, "tenants", "allow", "tintworld", "add", "(619) 555-0142")
    _, off, _ = _run(capsys, "tenants", "demo-mode", "tintworld", "off")
    _, listed, _ = _run(capsys, "tenants", "list")
    _, on, _ = _run(capsys, "tenants", "demo-mode", "tintworld", "on")
    _, rotated, _ = _run(capsys, "tenants", "rotate-token", "tintworld")

    assert allowed.strip() == "tintworld: allow-list is now +16195550142"
    assert off.strip() == "demo mode is OFF for tintworld: messages now go to real customers"
    assert listed.strip() == "tintworld\tTint World\tLIVE\tCRM key set"
    assert on.strip() == "demo mode is on for tintworld: only 1 allow-listed address(es) get messages"
    assert "new API token for tintworld" in rotated
    actions = [e.action for e in _audit(sqlite_database)]
    assert actions[:4] == [
        "tenant.api_token.rotate",
        "tenant.demo_mode.on",
        "tenant.demo_mode.off",
        "tenant.allow_list.add",
    ]


def test_touch_plan_and_templates_from_files(
    sqlite_database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _setup(capsys, monkeypatch)
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            [
                {"number": 1, "day": 0, "channels": ["email", "sms"]},
                {"number": 2, "day": 2, "channels": ["sms"]},
            ]
        )
    )
    templates = tmp_path / "templates.json"
    templates.write_text(
        json.dumps({"2": {"sms": "Hi {{ first_name }}, still thinking about tint? {{ chat_link }}"}})
    )

    _, planned, _ = _run(capsys, "tenants", "touch-plan", "tintworld", "--file", str(plan))
    _, templated, _ = _run(capsys, "tenants", "templates", "tintworld", "--file", str(templates))
    _, reset, _ = _run(capsys, "tenants", "touch-plan", "tintworld", "--default")

    assert planned.strip() == "tintworld uses its own plan: 2 touches on days 0, 2"
    assert templated.strip() == "tintworld: own templates for touches: 2; the others use the defaults"
    assert reset.strip().startswith("tintworld uses the default plan: 13 touches on days 0, 1, 3")


def test_catalog_list_and_location_prices_in_dollars(
    sqlite_database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(capsys, monkeypatch)
    container = bootstrap(load_settings({}, database_url=sqlite_database))
    from leadorch.app.config.models import CatalogService

    container.config.put_service(
        "tintworld",
        CatalogService(
            service_id="cs-1", name="Ultimate Tint Package", duration_minutes=180, price_cents=60000
        ),
        actor="seed",
    )
    container.close()

    code, priced, _ = _run(
        capsys, "catalog", "set-price", "tintworld", "cs-1", "--location", "san-diego", "--price", "550"
    )
    _, listed, _ = _run(capsys, "catalog", "list", "tintworld", "--location", "san-diego")
    _, cleared, _ = _run(
        capsys, "catalog", "set-price", "tintworld", "cs-1", "--location", "san-diego", "--clear"
    )

    assert code == 0
    assert (
        priced.strip() == "tintworld/san-diego: Ultimate Tint Package now costs $550.00 (tenant-wide $600.00)"
    )
    assert listed.strip() == "cs-1\tUltimate Tint Package\t180 min\t$550.00 (location price)\tbookable"
    assert (
        cleared.strip()
        == "tintworld/san-diego: Ultimate Tint Package is back to the tenant-wide price $600.00"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["tenants", "create", "Tint World", "--name", "x"], "tenant id 'Tint World' must be a slug"),
        (["tenants", "create", "tintworld", "--name", "x"], "tenant 'tintworld' already exists"),
        (["tenants", "show", "ghost"], "tenant 'ghost' not found"),
        (["tenants", "update", "tintworld", "--generic-word", "window film"], "must be one word of letters"),
        (["tenants", "create", "t2", "--name", "x", "--api-key-env", "NOT_SET_ANYWHERE"],
         "--api-key-env: environment variable NOT_SET_ANYWHERE is not set"),
        (["tenants", "allow", "tintworld", "add", "not-an-address"], "address 'not-an-address' is not a valid phone"),
        (["tenants", "crm", "tintworld", "--webhook-secret", "hunter2"], "whsec_"),
        (["tenants", "touch-plan", "tintworld", "--file", "/nonexistent/plan.json"], "--file: cannot read"),
        (["locations", "add", "tintworld", "la", "--name", "LA", "--crm-location-id", "crm-la",
          "--time-zone", "America/LA"], "time zone 'America/LA' is not an IANA time zone"),
        (["locations", "hours", "tintworld", "san-diego", "mon-fri 09:00-18:00; tue 10:00-12:00"], "tue twice"),
        (["locations", "window", "tintworld", "san-diego", "07:00-20:00"], "outside the allowed calling hours"),
        (["locations", "update", "tintworld", "san-diego", "--capacity", "0"], "capacity (bays) must be between 1"),
        (["tenants", "update", "tintworld", "--live-conversation-minutes", "0"], "live conversation minutes must be"),
        (["locations", "update", "tintworld", "san-diego", "--booking-horizon-days", "0"],
         "booking horizon in days must be between 1 and 365"),
        (["locations", "holiday", "tintworld", "san-diego", "26/11/2026"], "must be a date written YYYY-MM-DD"),
        (["locations", "staff", "tintworld", "san-diego", "set", "Bo", "--alerts", "new_lead"],
         "needs an email address or a phone number"),
        (["catalog", "set-price", "tintworld", "cs-9", "--location", "san-diego", "--price", "12.345"],
         "amount in dollars"),
        (["catalog", "set-price", "tintworld", "cs-9", "--location", "san-diego", "--price", "12"], "'cs-9' is not in"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line_naming_the_problem(
    configured_once: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("DATABASE_URL", configured_once)
    audited = len(_audit(configured_once))

    code, out, err = _run(capsys, *argv)

    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("leadorch: error: ")
    assert message in err
    assert "Traceback" not in err
    assert len(_audit(configured_once)) == audited  # nothing was changed


def test_a_location_id_the_tenants_shopmonkey_does_not_list_is_refused(
    database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(capsys, monkeypatch)

    code, out, err = _run(
        capsys, "locations", "add", "tintworld", "la", "--name", "LA", "--crm-location-id", "crm-typo",
        "--time-zone", "America/Los_Angeles",
    )  # fmt: skip

    assert (code, out) == (2, "")
    assert "ShopMonkey has no location 'crm-typo' (GET /v3/location)" in err
    assert "every location's rows" in err
    code, listed, _ = _run(capsys, "locations", "list", "tintworld")
    assert "la" not in listed.split()
