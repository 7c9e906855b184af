"""Phone number → recipient's state and time zones, from the `phonenumbers` package's bundled data.

`phonenumbers` ships Google's libphonenumber metadata: an offline geocoder (prefix → "Florida",
"Chicago, IL") and prefix → IANA time zones. No network. Its vocabulary stays here:

- the geocoder names a US place as a state name ("Texas") or "City, ST"; we keep the two-letter code.
  Importing the geocoder takes seconds (all countries, all languages), so the US area codes' states are
  a table generated from it (`us_area_codes.py`, by `scripts/generate_us_area_codes.py`; a test fails
  when it and the installed geocoder disagree); the time-zone data is read live (it imports quickly);
- a prefix that places nobody has no state, and its time-zone lookup lists every zone of the country
  (toll-free 800 numbers span 40 zones) or "Etc/Unknown": both mean "nothing known", not "all of them",
  since such a number says nothing about where its owner lives;
- outside the NANP the state is None and the zones still hold (the federal hours in the recipient's zone).
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import timezone as number_zones

from leadorch.adapters.us_area_codes import AREA_CODE_STATES
from leadorch.domain.sending_rules import UNKNOWN_RECIPIENT, RecipientContext

US_STATES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "District of Columbia": "DC",
    "Washington D.C.": "DC", "Florida": "FL", "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID",
    "Illinois": "IL", "Indiana": "IN", "Iowa": "IA", "Kansas": "KS", "Kentucky": "KY",
    "Louisiana": "LA", "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI",
    "Minnesota": "MN", "Mississippi": "MS", "Missouri": "MO", "Montana": "MT", "Nebraska": "NE",
    "Nevada": "NV", "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY",
    "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR",
    "Pennsylvania": "PA", "Rhode Island": "RI", "South Carolina": "SC", "South Dakota": "SD",
    "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT", "Virginia": "VA",
    "Washington": "WA", "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
}  # fmt: skip
_CODES = frozenset(US_STATES.values())
_UNKNOWN_ZONE = "Etc/Unknown"
_MAX_ZONES_OF_A_PLACE = 4  # an area code spans at most a few zones; more is a whole country's list


def state_of(description: str) -> str | None:
    """The two-letter state of a geocoder description ("Texas", "Chicago, IL"), or None."""
    if description in US_STATES:
        return US_STATES[description]
    _, _, tail = description.rpartition(", ")
    return tail if tail in _CODES else None


class PhoneNumberGeography:
    """`RecipientLocator` over libphonenumber's offline geocoding and time-zone data."""

    def context_for(self, phone: str | None) -> RecipientContext:
        if not phone:
            return UNKNOWN_RECIPIENT
        try:
            number = phonenumbers.parse(phone, None)
        except phonenumbers.NumberParseException:
            return UNKNOWN_RECIPIENT
        if not phonenumbers.is_valid_number(number):
            return UNKNOWN_RECIPIENT
        zones = tuple(z for z in number_zones.time_zones_for_number(number) if z != _UNKNOWN_ZONE)
        if not zones or len(zones) > _MAX_ZONES_OF_A_PLACE:
            return UNKNOWN_RECIPIENT
        if number.country_code != 1:
            code = f"country code +{number.country_code}"
            return RecipientContext(zones=zones, derived_from=f"{code}, presumed from the number")
        area = str(number.national_number)[:3]
        state = AREA_CODE_STATES.get(area)
        place = f" ({state})" if state else ""
        return RecipientContext(
            state=state, zones=zones, derived_from=f"area code {area}{place}, presumed from the number"
        )
