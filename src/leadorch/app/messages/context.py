"""What a message template may refer to: the fields of one lead at one location.

The field names are the whole vocabulary a tenant's templates can use; `validate_template` rejects any
other name when a template is saved, so a typo never reaches a customer as a blank or a crash.
"""

from __future__ import annotations

import msgspec


class MessageContext(msgspec.Struct, frozen=True, kw_only=True):
    """The values one message is rendered with.

    `vehicle` is ready to print ("2021 Toyota Camry", or "your vehicle" when the quote did not say);
    `services` are the requested services as the shop names them; the links are absolute URLs.
    """

    first_name: str
    vehicle: str
    location_name: str
    location_phone: str
    location_address: str
    services: list[str]
    chat_link: str
    unsubscribe_link: str


FIELD_NAMES: frozenset[str] = frozenset(MessageContext.__struct_fields__)

# Deliberately long (but GSM-7) values: a template whose sample fits the SMS segment limit leaves
# room for real names and vehicles. Tenants validate with their own location's values where known.
SAMPLE_CONTEXT = MessageContext(
    first_name="Christopher",
    vehicle="2022 Chevrolet Silverado 1500",
    location_name="Sun Shield Window Tint North Austin",
    location_phone="(512) 555-0147",
    location_address="12400 N Lamar Blvd, Suite 110, Austin, TX 78753",
    services=["ceramic window tint", "windshield strip"],
    chat_link="https://go.example.com/c/4kT9qXw2Lm7Zp",
    unsubscribe_link="https://go.example.com/unsubscribe/4kT9qXw2Lm7Zp8Rv",
)
