"""Phone numbers read into the recipient's presumed state and zones, from libphonenumber's offline data."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from leadorch.adapters.phone_geography import PhoneNumberGeography
from leadorch.adapters.us_area_codes import AREA_CODE_STATES
from leadorch.domain.sending_rules import UNKNOWN_RECIPIENT

geography = PhoneNumberGeography()


@pytest.mark.parametrize(
    ("phone", "state", "zones"),
    [
        ("+13055551234", "FL", ("America/New_York",)),  # Miami
        ("+14055551234", "OK", ("America/Chicago",)),  # Oklahoma City
        ("+15125551234", "TX", ("America/Chicago",)),  # Austin
        ("+19155550123", "TX", ("America/Denver",)),  # El Paso keeps Mountain time
        ("+16195551234", "CA", ("America/Los_Angeles",)),  # San Diego
        ("+17735551234", "IL", ("America/Chicago",)),  # the geocoder says "Chicago, IL"
        ("+19075551234", "AK", ("America/Adak", "America/Anchorage")),  # one area code, two zones
    ],
)
def test_a_us_number_gives_the_state_and_zones_of_its_area_code(
    phone: str, state: str, zones: tuple[str, ...]
) -> None:
    context = geography.context_for(phone)
    assert (context.state, context.zones) == (state, zones)
    assert context.derived_from.startswith(f"area code {phone[2:5]}")


@pytest.mark.parametrize("phone", ["+18005551234", "+15551234567", "not a number", "", None])
def test_a_number_that_places_nobody_tells_nothing(phone: str | None) -> None:
    """Toll-free numbers list every zone of the country, and a 555 number is not valid: neither places
    its owner, so the federal hours in the location's zone apply."""
    assert geography.context_for(phone) == UNKNOWN_RECIPIENT


def test_a_number_abroad_has_zones_but_no_state() -> None:
    context = geography.context_for("+447911123456")
    assert context.state is None
    assert "Europe/London" in context.zones
    assert context.derived_from.startswith("country code +44")


def test_the_committed_area_code_table_matches_the_installed_geocoder() -> None:
    """The table is generated from libphonenumber's geocoder (too slow to import in every process);
    after a `phonenumbers` upgrade, regenerate it with scripts/generate_us_area_codes.py."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "generate_us_area_codes.py"
    spec = importlib.util.spec_from_file_location("generate_us_area_codes", script)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.table() == AREA_CODE_STATES
