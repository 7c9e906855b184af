"""Small value types shared by the aggregates: channels, lead statuses, a contact and a vehicle.

They are frozen and validate themselves, so an aggregate never holds a malformed phone number or a
blank name, and a bad import fails with a message that names the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from leadorch.domain.errors import InvalidValue


class Channel(StrEnum):
    """A way of reaching a customer; consent is tracked per channel."""

    EMAIL = "email"
    SMS = "sms"


class LeadStatus(StrEnum):
    """Where a lead stands: `new → contacting → engaged → booked`, or `lost`, or `handled_by_shop`."""

    NEW = "new"
    CONTACTING = "contacting"
    ENGAGED = "engaged"
    BOOKED = "booked"
    LOST = "lost"
    HANDLED_BY_SHOP = "handled_by_shop"


# E.164: a plus, a non-zero country code digit, at most 15 digits in all. Parsing free-form numbers
# into this shape is the ingestion's job (with `phonenumbers`); the domain only insists on the result.
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Deliberately loose: one "@", something on both sides, a dot in the domain, no whitespace.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_channel(value: str | Channel) -> Channel:
    """The channel named by `value`, or an error listing the channels there are."""
    try:
        return Channel(value)
    except ValueError:
        allowed = ", ".join(channel.value for channel in Channel)
        raise InvalidValue(f"channel must be one of {allowed}, not {value!r}") from None


@dataclass(frozen=True)
class Contact:
    """Who the customer is and where to reach them (email and phone are each optional)."""

    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        for field_name in ("first_name", "last_name"):
            value = getattr(self, field_name)
            if not isinstance(value, str):
                raise InvalidValue(f"contact {field_name} must be text, not {type(value).__name__}")
        if self.email is not None and not _EMAIL.match(self.email):
            raise InvalidValue(f"contact email {self.email!r} is not an email address")
        if self.phone is not None and not _E164.match(self.phone):
            raise InvalidValue(f"contact phone {self.phone!r} is not an E.164 number such as +15551234567")

    def address_for(self, channel: Channel) -> str | None:
        """The email address or phone number a message on `channel` would go to."""
        return self.email if channel is Channel.EMAIL else self.phone

    @property
    def full_name(self) -> str:
        """First and last name joined, without stray spaces when one is empty."""
        return " ".join(part for part in (self.first_name.strip(), self.last_name.strip()) if part)


@dataclass(frozen=True)
class Vehicle:
    """The vehicle the quote is for; every part is optional because website forms often omit them."""

    year: int | None = None
    make: str | None = None
    model: str | None = None

    def __post_init__(self) -> None:
        if self.year is not None and (
            isinstance(self.year, bool) or not isinstance(self.year, int) or not 1886 <= self.year <= 2100
        ):
            raise InvalidValue(f"vehicle year must be a whole year between 1886 and 2100, not {self.year!r}")

    @property
    def description(self) -> str:
        """ "2021 Toyota Camry", leaving out what is unknown."""
        parts = (str(self.year) if self.year else None, self.make, self.model)
        return " ".join(part for part in parts if part)
