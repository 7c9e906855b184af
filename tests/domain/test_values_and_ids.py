"""Contacts, vehicles and ids: malformed values are refused with the field named; ids follow natural keys."""

from __future__ import annotations

from uuid import UUID

import pytest

from leadorch.domain.errors import DomainError, InvalidValue
from leadorch.domain.ids import lead_id, schedule_id
from leadorch.domain.values import Channel, Contact, LeadStatus, Vehicle, parse_channel


def test_channels_and_statuses_are_their_wire_names() -> None:
    assert [c.value for c in Channel] == ["email", "sms"]
    assert [s.value for s in LeadStatus] == [
        "new",
        "contacting",
        "engaged",
        "booked",
        "lost",
        "handled_by_shop",
    ]


def test_an_unknown_channel_is_named_in_the_error() -> None:
    with pytest.raises(InvalidValue, match="'fax'"):
        parse_channel("fax")
    assert parse_channel("sms") is Channel.SMS


def test_a_contact_needs_e164_phone_and_a_plausible_email() -> None:
    contact = Contact("Ada", "Lovelace", "ada@example.com", "+15551234567")
    assert contact.address_for(Channel.SMS) == "+15551234567"
    assert contact.address_for(Channel.EMAIL) == "ada@example.com"
    assert contact.full_name == "Ada Lovelace"
    with pytest.raises(InvalidValue, match=r"phone '555-1234' is not an E\.164"):
        Contact("Ada", "L", None, "555-1234")
    with pytest.raises(InvalidValue, match="email 'ada-at-example' is not an email"):
        Contact("Ada", "L", "ada-at-example", None)


def test_a_contact_may_lack_email_and_phone() -> None:
    contact = Contact("Ada", "")
    assert contact.address_for(Channel.EMAIL) is None
    assert contact.full_name == "Ada"


def test_a_vehicle_year_must_be_plausible() -> None:
    assert Vehicle(2021, "Toyota", "Camry").description == "2021 Toyota Camry"
    assert Vehicle(None, "Tesla", None).description == "Tesla"
    with pytest.raises(InvalidValue, match="vehicle year"):
        Vehicle(21, "Toyota", "Camry")


def test_domain_errors_share_one_base() -> None:
    assert issubclass(InvalidValue, DomainError)
    assert issubclass(InvalidValue, ValueError)


def test_importing_the_same_order_twice_gives_the_same_lead_id() -> None:
    assert lead_id("tint-co", "order-1") == lead_id("tint-co", "order-1")
    assert isinstance(lead_id("tint-co", "order-1"), UUID)


def test_lead_ids_differ_per_tenant_and_order_and_cannot_be_spliced() -> None:
    ids = {lead_id("a", "b:c"), lead_id("a:b", "c"), lead_id("a", "bc"), lead_id("b", "b:c")}
    assert len(ids) == 4


def test_a_schedule_id_follows_its_lead_id_in_either_spelling() -> None:
    lead = lead_id("tint-co", "order-1")
    assert schedule_id(lead) == schedule_id(str(lead))
    assert schedule_id(lead) != lead


def test_ids_refuse_blank_keys() -> None:
    with pytest.raises(InvalidValue, match="crm_order_id"):
        lead_id("tint-co", " ")
    with pytest.raises(InvalidValue, match="lead_id must be a UUID"):
        schedule_id("not-a-uuid")
