"""What an operator may type as configuration, and what the stored values mean to the domain.

Pure tests: no database. Each bad value is refused with a message naming the field and the value.
"""

from __future__ import annotations

from datetime import date, time

import pytest

from leadorch.app.config import hours, validation
from leadorch.app.config.checks import checked_location, webhook_secret
from leadorch.app.config.errors import InvalidConfiguration, SecretUnreadable
from leadorch.app.config.models import (
    DateException,
    LocationConfig,
    PlannedTouchConfig,
    SendingWindowConfig,
    StaffContact,
    TenantConfig,
)
from leadorch.app.config.secrets import Secret, SecretBox
from leadorch.domain.cadence import DEFAULT_PLAN
from leadorch.domain.values import Channel

KEY = "a-test-secret-key-that-is-long-enough-0001"


def _location(**overrides: object) -> LocationConfig:
    values: dict[str, object] = {
        "tenant_id": "tintworld",
        "location_id": "san-diego",
        "name": "San Diego",
        "crm_location_id": "crm-loc-1",
        "time_zone": "America/Los_Angeles",
        "weekly_hours": {"mon": ["09:00-18:00"]},
    }
    values.update(overrides)
    return LocationConfig(**values)  # type: ignore[arg-type]


# -- the compact hours syntax ------------------------------------------------------------------------


def test_compact_hours_cover_day_ranges_several_intervals_and_closed_days() -> None:
    parsed = hours.parse_weekly_hours("mon-fri 09:00-12:00,13:00-18:00; sat 10:00-16:00; sun closed")

    assert parsed == {
        **{day: ["09:00-12:00", "13:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        "sat": ["10:00-16:00"],
    }
    assert hours.format_weekly_hours(parsed) == "mon-fri 09:00-12:00,13:00-18:00; sat 10:00-16:00; sun closed"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mon-fri 09:00-18:00; fri 10:00-12:00", "fri twice"),
        ("mon-fri 09:00-13:00,12:00-18:00", "overlap"),
        ("mon 18:00-09:00", "must start before it ends"),
        ("mon 9-5", "HH:MM"),
        ("funday 09:00-18:00", "'funday' is not a day of the week"),
        ("fri-mon 09:00-18:00", "must run forward"),
        ("mon-fri", "days then intervals"),
        ("", "must not be empty"),
    ],
)
def test_bad_hours_are_refused_with_a_reason(spec: str, message: str) -> None:
    with pytest.raises(InvalidConfiguration, match=message):
        hours.parse_weekly_hours(spec)


def test_touching_intervals_do_not_overlap() -> None:
    assert validation.intervals(["12:00-18:00", "09:00-12:00"], "hours") == ["09:00-12:00", "12:00-18:00"]


def test_day_lists_are_written_in_week_order() -> None:
    assert hours.parse_days("sun,mon-fri") == ["mon", "tue", "wed", "thu", "fri", "sun"]
    assert hours.format_days(["sun", "mon", "tue", "sat"]) == "mon-tue,sat-sun"


# -- single fields -----------------------------------------------------------------------------------


def test_time_zones_must_exist_in_the_zone_database() -> None:
    assert validation.time_zone("America/New_York") == "America/New_York"
    with pytest.raises(InvalidConfiguration, match="'Mars/Olympus_Mons' is not an IANA time zone"):
        validation.time_zone("Mars/Olympus_Mons")
    with pytest.raises(InvalidConfiguration, match="IANA"):
        validation.time_zone("../../etc/passwd")


def test_phones_are_normalised_to_e164_and_nonsense_is_refused() -> None:
    assert validation.phone("(619) 555-0142") == "+16195550142"
    assert validation.phone("+1 619-555-0142") == "+16195550142"
    with pytest.raises(InvalidConfiguration, match="staff phone '555' is not a valid phone number"):
        validation.phone("555", "staff phone")


def test_emails_are_lower_cased_and_must_look_like_addresses() -> None:
    assert validation.email("  Maya.Ortega@Example.com ") == "maya.ortega@example.com"
    with pytest.raises(InvalidConfiguration, match="'maya@' is not an email address"):
        validation.email("maya@")


def test_an_allow_list_address_is_an_email_or_a_phone() -> None:
    assert validation.message_address("Maya.Ortega@example.com") == "maya.ortega@example.com"
    assert validation.message_address("619-555-0142") == "+16195550142"
    with pytest.raises(InvalidConfiguration, match="not a valid phone number"):
        validation.message_address("nobody")


def test_ids_are_slugs() -> None:
    assert validation.slug("san-diego", "location id") == "san-diego"
    for bad in ("San Diego", "-x", "x-", "", "a" * 65, "tint_world"):
        with pytest.raises(InvalidConfiguration, match="must be a slug"):
            validation.slug(bad, "tenant id")


def test_prices_are_whole_non_negative_cents_and_dollars_convert_exactly() -> None:
    assert validation.price_cents(0) == 0
    assert validation.dollars("450.00") == 45000
    assert validation.dollars("$109.9") == 10990
    assert validation.dollars("129") == 12900
    with pytest.raises(InvalidConfiguration, match="must not be negative"):
        validation.price_cents(-1)
    with pytest.raises(InvalidConfiguration, match="whole number of cents"):
        validation.price_cents(12.5)  # type: ignore[arg-type]
    for bad in ("-1", "4.505", "abc", "1,000"):
        with pytest.raises(InvalidConfiguration, match="amount in dollars"):
            validation.dollars(bad)


def test_webhook_secrets_must_be_shopmonkey_signing_secrets() -> None:
    good = "whsec_bGVhZG9yY2gtZml4dHVyZS1zZWNyZXQtMzItYnl0ZXMh"
    assert webhook_secret(good) == good
    for bad in ("bGVhZG9yY2gtZml4dHVyZS1zZWNyZXQtMzItYnl0ZXMh", "whsec_***not base64***", "whsec_c2hvcnQ="):
        with pytest.raises(InvalidConfiguration, match="whsec_"):
            webhook_secret(bad)


# -- a whole location --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"time_zone": "Pacific/Atlantis"}, "'Pacific/Atlantis' is not an IANA time zone"),
        ({"capacity": 0}, r"capacity \(bays\) must be between 1 and 100, not 0"),
        ({"slot_granularity_minutes": 7}, "must divide a day evenly"),
        ({"min_lead_minutes": -5}, "minimum lead time"),
        ({"window": SendingWindowConfig(start="07:30", end="20:00")}, "outside the allowed calling hours"),
        ({"window": SendingWindowConfig(start="09:00", end="21:30")}, "outside the allowed calling hours"),
        ({"window": SendingWindowConfig(start="19:00", end="10:00")}, "must start before it ends"),
        ({"window": SendingWindowConfig(days=["someday"])}, "not a day of the week"),
        ({"phone": "12"}, "location phone '12' is not a valid phone number"),
        ({"name": "  "}, "location name must not be empty"),
        ({"weekly_hours": {"mon": ["09:00-12:00", "11:00-13:00"]}}, "overlap"),
    ],
)
def test_a_location_with_a_bad_value_is_refused_naming_it(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidConfiguration, match=message):
        checked_location(_location(**overrides))


def test_a_checked_location_is_normalised() -> None:
    location = checked_location(
        _location(
            phone="(619) 555-0100",
            window=SendingWindowConfig(start="8:00", end="21:00", days=["Sunday", "sat"]),
        )
    )
    assert location.phone == "+16195550100"
    assert location.window == SendingWindowConfig(start="08:00", end="21:00", days=["sat", "sun"])


# -- conversions to the domain's values --------------------------------------------------------------


def test_business_hours_count_days_from_sunday_and_keep_holidays() -> None:
    location = _location(
        weekly_hours={"mon": ["09:00-12:00", "13:00-18:00"], "sat": ["10:00-16:00"]},
        exceptions=[DateException(day=date(2026, 12, 25), note="Christmas"),
                    DateException(day=date(2026, 12, 24), hours=["09:00-13:00"])],
    )  # fmt: skip

    business = location.business_hours()

    assert business.weekly[1] == ((time(9), time(12)), (time(13), time(18)))
    assert business.weekly[6] == ((time(10), time(16)),)
    assert 0 not in business.weekly  # Sunday closed
    assert business.intervals_on(date(2026, 12, 25)) == ()  # a Friday, closed for the holiday
    assert business.intervals_on(date(2026, 12, 24)) == ((time(9), time(13)),)


def test_sending_window_converts_with_sunday_as_day_zero() -> None:
    window = _location(
        window=SendingWindowConfig(start="10:00", end="19:30", days=["sun", "sat"])
    ).sending_window()
    assert (window.start, window.end, window.days) == (time(10), time(19, 30), frozenset({0, 6}))


def test_website_lead_criteria_come_from_the_tenant_and_its_locations() -> None:
    tenant = TenantConfig(tenant_id="tintworld", name="Tint World", website_status_ids=["wf-1", "wf-2"])
    criteria = tenant.website_lead_criteria(["crm-loc-1"])
    assert criteria.workflow_status_ids == frozenset({"wf-1", "wf-2"})
    assert criteria.location_ids == frozenset({"crm-loc-1"})


def test_touch_plan_is_the_default_until_the_tenant_has_its_own() -> None:
    tenant = TenantConfig(tenant_id="tintworld", name="Tint World")
    assert tenant.touch_plan() == DEFAULT_PLAN

    own = TenantConfig(
        tenant_id="tintworld",
        name="Tint World",
        custom_touch_plan=[PlannedTouchConfig(number=1, day=0, channels=["sms"]),
                           PlannedTouchConfig(number=2, day=2, channels=["email", "sms"])],
    )  # fmt: skip
    plan = own.touch_plan()
    assert [(t.day, t.channels) for t in plan.touches] == [
        (0, {Channel.SMS}),
        (2, {Channel.EMAIL, Channel.SMS}),
    ]


def test_demo_mode_only_lets_allow_listed_addresses_receive_messages() -> None:
    demo = TenantConfig(tenant_id="t", name="T", demo_mode=True, allow_list=["maya.ortega@example.com"])
    assert demo.may_message("Maya.Ortega@example.com")
    assert not demo.may_message("+16195550142")
    live = TenantConfig(tenant_id="t", name="T", demo_mode=False)
    assert live.may_message("+16195550142")


def test_staff_to_alert_are_those_who_asked_for_that_alert() -> None:
    location = _location(
        staff=[StaffContact(name="Ana", email="ana@example.com", alerts=["new_lead"]),
               StaffContact(name="Bo", phone="+16195550101", alerts=["handoff", "new_lead"])],
    )  # fmt: skip
    assert [c.name for c in location.staff_to_alert("new_lead")] == ["Ana", "Bo"]
    assert [c.name for c in location.staff_to_alert("handoff")] == ["Bo"]


def test_a_tenant_template_part_replaces_only_that_part_of_the_default() -> None:
    from leadorch.app.config.models import TouchTemplate
    from leadorch.app.messages.defaults import DEFAULT_TEMPLATES

    tenant = TenantConfig(tenant_id="t", name="T", templates={3: TouchTemplate(sms="Hi {{ first_name }}!")})

    assert tenant.templates_for(3).sms.body == "Hi {{ first_name }}!"
    assert tenant.templates_for(3).email == DEFAULT_TEMPLATES[3].email
    assert tenant.templates_for(2) == DEFAULT_TEMPLATES[2]


# -- secrets -----------------------------------------------------------------------------------------


def test_secret_box_round_trips_and_never_shows_a_secret_in_repr() -> None:
    box = SecretBox(KEY)
    sealed = box.seal("sm_live_key_123")

    assert "sm_live_key_123" not in sealed
    opened = box.open(sealed)
    assert opened.reveal() == "sm_live_key_123"
    assert "sm_live_key_123" not in repr(opened) and "sm_live_key_123" not in str(opened)
    assert KEY not in repr(box)
    assert opened == Secret("sm_live_key_123")


def test_a_secret_sealed_under_another_key_is_unreadable_not_garbage() -> None:
    sealed = SecretBox(KEY).seal("sm_live_key_123")
    with pytest.raises(SecretUnreadable, match="LEADORCH_SECRET_KEY"):
        SecretBox("another-key-that-is-also-long-enough-02").open(sealed)
