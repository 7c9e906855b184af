"""The configuration use cases as an operator meets them: rules, clear refusals, and an audit of each change.

Run on the embedded SQLite store (the SQL itself is exercised on both backends in
test_config_repository.py); the demo seed runs on both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from tests.conftest import shared_fixtures_dir

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.config.demo_seed import seed_demo_tenant
from leadorch.app.config.errors import (
    ConcurrentEdit,
    InvalidConfiguration,
    OperatorOnly,
    UnknownLocation,
    UnknownService,
)
from leadorch.app.config.models import (
    DEFAULT_CATALOG_GENERIC_WORDS,
    CatalogService,
    TenantConfig,
    TouchTemplate,
)
from leadorch.app.config.repository import AuditRecord, ConfigRepository
from leadorch.app.config.service import ConfigService
from leadorch.app.settings import load_settings

START = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def _container(url: str) -> Container:
    return bootstrap(load_settings({}, database_url=url), clock=AdjustableClock(START))


@pytest.fixture
def config(sqlite_url: str) -> Iterator[ConfigService]:
    container = _container(sqlite_url)
    service = container.config
    service.create_tenant("tintworld", name="Tint World", actor="ana")
    service.add_location(
        "tintworld",
        "san-diego",
        name="Tint World San Diego",
        crm_location_id="crm-sd",
        time_zone="America/Los_Angeles",
        phone="+16195550100",
        address="1 Harbor Dr, San Diego, CA 92101",
        weekly_hours={"mon": ["09:00-18:00"]},
        actor="ana",
    )
    yield service
    container.close()


def _actions(config: ConfigService) -> list[str]:
    return [entry.action for entry in config.audit("tintworld", limit=1000)]


# -- demo mode ---------------------------------------------------------------------------------------


def test_a_new_tenant_is_in_demo_mode_and_turning_it_off_is_an_audited_act(config: ConfigService) -> None:
    assert config.tenant("tintworld").demo_mode is True
    assert config.tenant("tintworld").allow_list == []

    live = config.set_demo_mode("tintworld", False, actor="maria", by_operator=True, confirm="tintworld")

    assert live.demo_mode is False
    off = config.audit("tintworld", limit=1)[0]
    assert (off.action, off.actor, off.changes) == (
        "tenant.demo_mode.off",
        "maria",
        {"demo_mode": {"from": True, "to": False}},
    )
    config.set_demo_mode("tintworld", False, actor="maria", by_operator=True, confirm="tintworld")
    assert _actions(config).count("tenant.demo_mode.off") == 1  # nothing changed, nothing audited


def test_only_the_operator_turns_demo_mode_off_and_only_once_they_confirm_with_the_tenants_id(
    config: ConfigService,
) -> None:
    with pytest.raises(OperatorOnly, match=r"only the operator .* can turn demo mode off"):
        config.set_demo_mode("tintworld", False, actor="tenant-token:tintworld", confirm="tintworld")
    for confirm in (None, "", "yes", "othertint"):
        with pytest.raises(InvalidConfiguration, match="confirm with the tenant's id \\('tintworld'\\)"):
            config.set_demo_mode(
                "tintworld", False, actor="Ana via admin-token", by_operator=True, confirm=confirm
            )
    assert config.tenant("tintworld").demo_mode is True
    assert "tenant.demo_mode.off" not in _actions(config)

    config.set_demo_mode(
        "tintworld", False, actor="Ana via admin-token", by_operator=True, confirm="tintworld"
    )
    off = config.audit("tintworld", limit=1)[0]
    assert (off.action, off.actor) == ("tenant.demo_mode.off", "Ana via admin-token")
    # Turning it back on is always allowed: it only holds messages back.
    assert config.set_demo_mode("tintworld", True, actor="tenant-token:tintworld").demo_mode is True


def test_the_allow_list_holds_normalised_addresses(config: ConfigService) -> None:
    config.allow_address("tintworld", "Maya.Ortega@Example.com", actor="ana")
    tenant = config.allow_address("tintworld", "(619) 555-0142", actor="ana")

    assert tenant.allow_list == ["+16195550142", "maya.ortega@example.com"]
    assert tenant.may_message("+16195550142") and not tenant.may_message("+16195550143")
    with pytest.raises(
        InvalidConfiguration, match=r"\+16195550199 is not on the allow-list of tenant 'tintworld'"
    ):
        config.disallow_address("tintworld", "+1 619 555 0199", actor="ana")
    assert config.disallow_address("tintworld", "+16195550142", actor="ana").allow_list == [
        "maya.ortega@example.com"
    ]


# -- cadence and templates ---------------------------------------------------------------------------


def test_a_custom_touch_plan_is_checked_by_the_domain_and_can_be_reset(config: ConfigService) -> None:
    with pytest.raises(InvalidConfiguration, match="touch plan: touch days must strictly increase"):
        config.set_touch_plan(
            "tintworld",
            [{"number": 1, "day": 0, "channels": ["sms"]}, {"number": 2, "day": 0, "channels": ["email"]}],
            actor="ana",
        )
    with pytest.raises(InvalidConfiguration, match="touch plan: channel must be one of email, sms"):
        config.set_touch_plan("tintworld", [{"number": 1, "day": 0, "channels": ["fax"]}], actor="ana")

    own = config.set_touch_plan(
        "tintworld",
        [
            {"number": 1, "day": 0, "channels": ["sms", "email"]},
            {"number": 2, "day": 3, "channels": ["email"]},
        ],
        actor="ana",
    )
    assert [touch.day for touch in own.touch_plan().touches] == [0, 3]

    reset = config.set_touch_plan("tintworld", None, actor="ana")
    assert reset.custom_touch_plan is None and len(reset.touch_plan()) == 13
    assert _actions(config)[:2] == ["tenant.touch_plan", "tenant.touch_plan"]


def test_templates_are_checked_when_saved_not_when_sent(config: ConfigService) -> None:
    with pytest.raises(
        InvalidConfiguration, match=r"template for touch 3: sms.body: unknown field 'firstname'"
    ):
        config.set_templates("tintworld", {3: TouchTemplate(sms="Hi {{ firstname }}!")}, actor="ana")
    with pytest.raises(InvalidConfiguration, match=r"template for touch 2: .*segments"):
        config.set_templates("tintworld", {2: TouchTemplate(sms="Window tint! " * 40)}, actor="ana")

    saved = config.set_templates(
        "tintworld",
        {3: TouchTemplate(sms="Hi {{ first_name }}, your {{ vehicle }} quote: {{ chat_link }}")},
        actor="ana",
    )

    assert saved.templates_for(3).sms.body.startswith("Hi {{ first_name }}")
    assert config.tenant("tintworld").templates == saved.templates


def test_a_shorter_sms_limit_must_still_fit_the_tenants_own_texts(config: ConfigService) -> None:
    config.update_tenant("tintworld", max_sms_segments=3, actor="ana")
    three_segments = "Hi {{ first_name }}! " + "Tint keeps your car cool. " * 13
    config.set_templates("tintworld", {5: TouchTemplate(sms=three_segments)}, actor="ana")

    with pytest.raises(InvalidConfiguration, match="template for touch 5"):
        config.update_tenant("tintworld", max_sms_segments=2, actor="ana")  # the defaults fit in 2
    assert config.tenant("tintworld").max_sms_segments == 3


def test_catalog_generic_words_default_to_the_tint_trade_and_are_set_per_tenant(
    config: ConfigService,
) -> None:
    assert config.tenant("tintworld").catalog_generic_words == list(DEFAULT_CATALOG_GENERIC_WORDS)

    updated = config.update_tenant(
        "tintworld", catalog_generic_words=["Wrap", "vinyl", "wrap", " full "], actor="ana"
    )

    assert updated.catalog_generic_words == ["wrap", "vinyl", "full"]
    assert config.tenant("tintworld").catalog_generic_words == ["wrap", "vinyl", "full"]
    change = config.audit("tintworld", limit=1)[0]
    assert change.action == "tenant.update"
    assert change.changes["catalog_generic_words"]["to"] == ["wrap", "vinyl", "full"]


@pytest.mark.parametrize(
    ("words", "reason"),
    [
        (["two words"], "catalog generic word 'two words' must be one word of letters or digits"),
        (["tint-film"], "must be one word of letters or digits"),
        ([""], "catalog generic word"),
    ],
)
def test_catalog_generic_words_are_single_words(config: ConfigService, words: list[str], reason: str) -> None:
    with pytest.raises(InvalidConfiguration, match=reason):
        config.update_tenant("tintworld", catalog_generic_words=words, actor="ana")
    assert config.tenant("tintworld").catalog_generic_words == list(DEFAULT_CATALOG_GENERIC_WORDS)


# -- locations ---------------------------------------------------------------------------------------


def test_hours_holidays_window_and_staff_are_each_audited_with_what_changed(config: ConfigService) -> None:
    config.set_hours(
        "tintworld", "san-diego", {"mon": ["09:00-12:00", "13:00-18:00"], "sat": ["10:00-16:00"]}, actor="ana"
    )
    config.set_date_exception("tintworld", "san-diego", "2026-11-26", [], note="Thanksgiving", actor="ana")
    config.set_sending_window(
        "tintworld", "san-diego", start="10:00", end="19:00", days=["mon", "sat"], actor="ana"
    )
    location = config.set_staff_contact(
        "tintworld", "san-diego", name="Ana Ruiz", phone="619-555-0101", alerts=["new_lead"], actor="ana"
    )

    assert location.business_hours().intervals_on(datetime(2026, 11, 26).date()) == ()
    assert location.staff[0].phone == "+16195550101"
    entries = config.audit("tintworld", limit=4)
    assert [e.action for e in entries] == [
        "location.staff.set",
        "location.sending_window",
        "location.exception.set",
        "location.hours",
    ]
    assert entries[1].changes == {
        "window": {
            "from": {
                "start": "09:00",
                "end": "20:00",
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            },
            "to": {"start": "10:00", "end": "19:00", "days": ["mon", "sat"]},
        }
    }
    assert all(e.target == "location:tintworld/san-diego" for e in entries)


def test_location_edits_refuse_what_cannot_be_done(config: ConfigService) -> None:
    with pytest.raises(InvalidConfiguration, match="has no special hours on 2026-12-25"):
        config.remove_date_exception("tintworld", "san-diego", "2026-12-25", actor="ana")
    with pytest.raises(InvalidConfiguration, match="needs an email address or a phone number"):
        config.set_staff_contact("tintworld", "san-diego", name="Nobody", actor="ana")
    with pytest.raises(InvalidConfiguration, match="alert 'everything' is not one of new_lead, handoff"):
        config.set_staff_contact(
            "tintworld", "san-diego", name="Bo", email="bo@example.com", alerts=["everything"], actor="a"
        )
    with pytest.raises(InvalidConfiguration, match="nothing to update"):
        config.update_location("tintworld", "san-diego", actor="ana")
    with pytest.raises(InvalidConfiguration, match="cannot update colour"):
        config.update_location("tintworld", "san-diego", colour="red", actor="ana")
    with pytest.raises(UnknownLocation, match="'la' of tenant 'tintworld' not found"):
        config.set_hours("tintworld", "la", {"mon": ["09:00-17:00"]}, actor="ana")


def test_an_empty_value_clears_an_optional_location_field(config: ConfigService) -> None:
    location = config.update_location("tintworld", "san-diego", phone="", address="", actor="ana")
    assert (location.phone, location.address) == (None, None)


# -- catalog and credentials -------------------------------------------------------------------------


def test_location_prices_need_a_known_location_and_service(config: ConfigService) -> None:
    config.put_service(
        "tintworld",
        CatalogService(service_id="ultimate", name="Ultimate", duration_minutes=180, price_cents=60000),
        actor="a",
    )
    with pytest.raises(UnknownService, match="'nope' is not in the catalog of tenant 'tintworld'"):
        config.set_location_price("tintworld", "san-diego", "nope", 100, actor="ana")
    with pytest.raises(UnknownLocation):
        config.set_location_price("tintworld", "la", "ultimate", 100, actor="ana")
    with pytest.raises(InvalidConfiguration, match="must not be negative"):
        config.set_location_price("tintworld", "san-diego", "ultimate", -100, actor="ana")
    with pytest.raises(InvalidConfiguration, match="has no own price"):
        config.set_location_price("tintworld", "san-diego", "ultimate", None, actor="ana")

    entry = config.set_location_price("tintworld", "san-diego", "ultimate", 0, actor="ana")
    assert (entry.price_cents, entry.base_price_cents) == (0, 60000)  # a free promotion is a price too
    assert config.audit("tintworld", limit=1)[0].changes == {"price_cents": {"from": 60000, "to": 0}}


def test_crm_credentials_are_checked_before_they_are_stored(config: ConfigService) -> None:
    with pytest.raises(InvalidConfiguration, match="give a CRM API key, a webhook secret, or both"):
        config.set_crm_credentials("tintworld", actor="ana")
    with pytest.raises(InvalidConfiguration, match="whsec_"):
        config.set_crm_credentials("tintworld", webhook_secret="hunter2", actor="ana")
    with pytest.raises(InvalidConfiguration, match="must not contain spaces"):
        config.set_crm_credentials("tintworld", api_key="two words", actor="ana")
    assert config.tenant("tintworld").crm_webhook_secret_set is False


def test_a_lost_race_is_retried_from_a_fresh_read(config: ConfigService) -> None:
    class OnceStale(ConfigRepository):
        raced = False

        def update_tenant(
            self, tenant: TenantConfig, *, expected_version: int, audit: AuditRecord
        ) -> TenantConfig:
            if not self.raced:
                self.raced = True
                raise ConcurrentEdit("someone else saved first")
            return super().update_tenant(tenant, expected_version=expected_version, audit=audit)

    repository = config.repository
    racing = ConfigService(OnceStale(repository._db, repository._cipher, repository._clock))

    assert racing.update_tenant("tintworld", name="Tint World West", actor="ana").name == "Tint World West"
    assert _actions(config).count("tenant.update") == 1


# -- the demo tenant ---------------------------------------------------------------------------------


def test_demo_seed_matches_the_shopmonkey_fixtures_and_is_idempotent(database_url: str) -> None:
    container = _container(database_url)
    clock = container.clock
    assert isinstance(clock, AdjustableClock)
    config = container.config
    try:
        token = seed_demo_tenant(config.repository, clock)
        audited = len(config.audit(limit=1000))
        assert seed_demo_tenant(config.repository, clock) is None  # the second run creates nothing
        assert len(config.audit(limit=1000)) == audited  # ... and changes nothing

        tenant = config.tenant("demo-tint")
        assert token is not None and config.tenant_id_for_token(token) == "demo-tint"
        assert tenant.demo_mode is True
        assert {"maya.ortega@example.com", "+16195550142"} <= set(tenant.allow_list)
        assert tenant.website_status_ids == ["619813fb2c9c3e8ce527be48"]
        location = config.location("demo-tint", "san-diego")
        assert (location.crm_location_id, location.time_zone, location.capacity) == (
            "6198139a5391fa197fac13e7",
            "America/Los_Angeles",
            2,
        )
        assert location.weekly_hours == {
            **{day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
            "sat": ["10:00-16:00"],
        }
        assert location.phone and location.address and location.staff

        canned = json.loads((shared_fixtures_dir() / "canned-services.json").read_text())["data"]
        expected = {
            s["id"]: (
                s["name"],
                s["totalCents"],
                round(sum(labor["hours"] for labor in s["labors"]) * 60),
                s["bookable"],
            )
            for s in canned
        }
        catalog = {
            e.service_id: (e.name, e.price_cents, e.duration_minutes, e.bookable)
            for e in config.catalog("demo-tint")
        }
        assert catalog == expected
    finally:
        container.close()


def test_a_locations_bookable_technicians_are_listed_once_each_in_order_and_audited(
    config: ConfigService,
) -> None:
    assert config.location("tintworld", "san-diego").technician_ids == []

    updated = config.update_location(
        "tintworld", "san-diego", technician_ids=[" tech-mina ", "tech-gus", "tech-mina"], actor="ana"
    )
    cleared = config.update_location("tintworld", "san-diego", technician_ids=[], actor="ana")

    assert updated.technician_ids == ["tech-mina", "tech-gus"]
    assert cleared.technician_ids == [] == config.location("tintworld", "san-diego").technician_ids
    change = config.audit("tintworld", limit=2)[1]
    assert change.action == "location.update"
    assert change.changes["technician_ids"]["to"] == ["tech-mina", "tech-gus"]


def test_a_blank_technician_id_is_refused(config: ConfigService) -> None:
    with pytest.raises(InvalidConfiguration, match="technician id"):
        config.update_location("tintworld", "san-diego", technician_ids=["tech-mina", "  "], actor="ana")
