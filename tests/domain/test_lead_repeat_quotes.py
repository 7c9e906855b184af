"""A repeat quote of the same customer and vehicle joins their open lead: services merged, one lead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadorch.domain.errors import IllegalTransition, InvalidValue
from leadorch.domain.lead import Lead
from tests.support.leads import a_lead

AT = datetime(2026, 11, 20, 17, 45, tzinfo=UTC)
LATER = AT + timedelta(days=2)


def test_a_repeat_quote_merges_its_services_into_the_open_lead() -> None:
    lead = a_lead(order="o-1", services=("Ceramic tint",), at=AT).registered()

    lead.join_quote(crm_order_id="o-2", services=["Windshield strip", "Ceramic tint"], at=LATER)

    joined = lead.pending_events[-1]
    assert isinstance(joined, Lead.QuoteJoined)
    assert (joined.crm_order_id, joined.added) == ("o-2", ["Windshield strip"])
    assert lead.services == ("Ceramic tint", "Windshield strip")
    assert lead.joined_orders == ("o-2",)


def test_the_same_quote_joining_again_records_only_what_it_adds() -> None:
    lead = a_lead(order="o-1", services=("Ceramic tint",), at=AT).registered()
    lead.join_quote(crm_order_id="o-2", services=["Windshield strip"], at=LATER)

    lead.join_quote(crm_order_id="o-2", services=["Windshield strip"], at=LATER)
    assert len(lead.pending_events) == 2
    lead.join_quote(crm_order_id="o-2", services=["Sunroof"], at=LATER)
    assert lead.services == ("Ceramic tint", "Windshield strip", "Sunroof")
    assert lead.joined_orders == ("o-2",)


def test_a_quote_with_nothing_new_still_joins_once_for_the_record() -> None:
    lead = a_lead(order="o-1", services=("Ceramic tint",), at=AT).registered()

    lead.join_quote(crm_order_id="o-2", services=["Ceramic tint"], at=LATER)

    assert isinstance(lead.pending_events[-1], Lead.QuoteJoined) and lead.joined_orders == ("o-2",)


def test_an_engaged_lead_takes_the_quote_but_a_closed_one_does_not() -> None:
    engaged = a_lead(order="o-1", at=AT).registered()
    engaged.record_reply(channel="sms", text="Yes please", at=AT)
    engaged.join_quote(crm_order_id="o-2", services=["Sunroof"], at=LATER)
    assert "Sunroof" in engaged.services

    lost = a_lead(order="o-3", at=AT).registered()
    lost.mark_lost(reason="no answer", at=AT)
    with pytest.raises(IllegalTransition, match="cannot join quote o-4: the lead is lost"):
        lost.join_quote(crm_order_id="o-4", services=["Sunroof"], at=LATER)


def test_a_lead_cannot_join_its_own_order() -> None:
    lead = a_lead(order="o-1", at=AT).registered()
    with pytest.raises(InvalidValue, match="this lead's own order"):
        lead.join_quote(crm_order_id="o-1", services=[], at=LATER)
