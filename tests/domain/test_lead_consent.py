"""Consent on record: a lead keeps the evidence each channel's consent rests on, and a CRM that says
something new changes it through `ConsentChanged`, except that it never undoes the customer's own no."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadorch.domain.consent import ConsentEvidence, decide_channel_consent
from leadorch.domain.errors import InvalidValue
from leadorch.domain.lead import Lead
from leadorch.domain.values import Channel
from tests.support.leads import a_lead

AT = datetime(2026, 11, 20, 17, 45, tzinfo=UTC)
LATER = AT + timedelta(days=1)
VERIFIED = datetime(2026, 11, 20, 17, 42, 4, tzinfo=UTC)


def sms_evidence(*, opt_in: bool, kind: str = "Mobile", at: datetime = AT) -> ConsentEvidence:
    decision = decide_channel_consent(
        Channel.SMS,
        has_address=True,
        address_flag=opt_in and kind != "Landline",
        preferred_contact_method="SMS",
        marketing_opt_in=True,
    )
    return ConsentEvidence(
        channel=Channel.SMS,
        granted=decision.granted,
        source="shopmonkey",
        reason=decision.reason,
        fields={"phoneNumbers[0].optIn": opt_in, "phoneNumbers[0].type": kind},
        verified_at=VERIFIED if opt_in else None,
        observed_at=at,
    )


def registered(evidence: ConsentEvidence) -> Lead:
    lead = a_lead(at=AT, sms_consent=evidence.granted, consent_evidence=(evidence,)).registered()
    assert lead.consent_evidence[Channel.SMS] == evidence
    return lead


def test_a_lead_carries_the_evidence_its_sms_consent_rests_on() -> None:
    lead = registered(sms_evidence(opt_in=True))

    held = lead.consent_evidence[Channel.SMS]
    assert lead.can_contact(Channel.SMS)
    assert (held.source, held.verified_at, held.observed_at) == ("shopmonkey", VERIFIED, AT)
    assert held.fields == {"phoneNumbers[0].optIn": True, "phoneNumbers[0].type": "Mobile"}
    assert held.reason == "the phone number is opted in to automatic texts in the CRM"


def test_a_landline_is_never_granted_texts_and_the_evidence_says_why() -> None:
    lead = registered(sms_evidence(opt_in=True, kind="Landline"))

    assert not lead.can_contact(Channel.SMS)
    assert "not opted in to automatic texts (or is a landline)" in lead.consent_evidence[Channel.SMS].reason


def test_evidence_that_disagrees_with_the_consent_given_is_refused() -> None:
    with pytest.raises(InvalidValue, match="sms consent is False but its evidence says True"):
        a_lead(at=AT, sms_consent=False, consent_evidence=(sms_evidence(opt_in=True),)).registered()


def test_the_crm_opting_a_number_in_later_grants_texts_through_consent_changed() -> None:
    lead = registered(sms_evidence(opt_in=False))

    lead.record_crm_consent(sms_evidence(opt_in=True, at=LATER), at=LATER)

    (changed,) = lead.pending_events[1:]
    assert isinstance(changed, Lead.ConsentChanged) and changed.granted
    assert lead.can_contact(Channel.SMS)
    assert lead.consent_evidence[Channel.SMS].observed_at == LATER


def test_the_same_record_read_again_changes_nothing() -> None:
    lead = registered(sms_evidence(opt_in=True))

    lead.record_crm_consent(sms_evidence(opt_in=True, at=LATER), at=LATER)

    assert len(lead.pending_events) == 1
    assert lead.consent_evidence[Channel.SMS].observed_at == AT


def test_the_crm_withdrawing_consent_withdraws_it() -> None:
    lead = registered(sms_evidence(opt_in=True))

    lead.record_crm_consent(sms_evidence(opt_in=False, at=LATER), at=LATER)

    assert not lead.can_contact(Channel.SMS)


def test_the_crm_never_undoes_the_customers_own_stop_only_the_customer_does() -> None:
    lead = registered(sms_evidence(opt_in=True))
    lead.opt_out(channel=Channel.SMS, reason="STOP", at=LATER)

    newer = sms_evidence(opt_in=True, at=LATER)
    newer = ConsentEvidence(**{**vars(newer), "verified_at": LATER})  # re-verified in the shop
    lead.record_crm_consent(newer, at=LATER)

    assert not lead.can_contact(Channel.SMS)
    assert lead.consent_evidence[Channel.SMS].verified_at == LATER  # the record is kept all the same
    lead.opt_in(channel=Channel.SMS, reason="START", at=LATER)
    assert lead.can_contact(Channel.SMS)


def test_a_lead_registered_without_evidence_gets_its_first_record_on_a_later_read() -> None:
    lead = a_lead(at=AT).registered()
    assert lead.consent_evidence == {}

    lead.record_crm_consent(sms_evidence(opt_in=True, at=LATER), at=LATER)

    assert isinstance(lead.pending_events[-1], Lead.ConsentChanged)
    assert lead.can_contact(Channel.SMS)


def test_evidence_refuses_fields_that_are_not_plain_values_and_naive_times() -> None:
    with pytest.raises(InvalidValue, match="fields"):
        ConsentEvidence(
            channel=Channel.SMS,
            granted=True,
            source="shopmonkey",
            reason="opted in",
            fields={"phoneNumbers": [1, 2]},
            observed_at=AT,
        )
    with pytest.raises(InvalidValue, match="observed_at"):
        ConsentEvidence(
            channel=Channel.SMS,
            granted=True,
            source="shopmonkey",
            reason="opted in",
            observed_at=AT.replace(tzinfo=None),
        )


@pytest.mark.parametrize(
    ("channel", "given", "granted", "reason"),
    [
        (Channel.SMS, {"has_address": False}, False, "no usable phone number on file"),
        (Channel.SMS, {"marketing_opt_in": False}, False, "the customer opted out of marketing in the CRM"),
        (Channel.SMS, {"preferred_contact_method": "Email"}, False, "the customer prefers email"),
        (
            Channel.EMAIL,
            {"preferred_contact_method": "Email"},
            True,
            "the email address is subscribed in the CRM",
        ),
        (Channel.EMAIL, {"address_flag": False}, False, "the email address is not subscribed"),
    ],
)
def test_the_rule_says_why_a_channel_is_or_is_not_allowed(
    channel: Channel, given: dict, granted: bool, reason: str
) -> None:
    facts = {
        "has_address": True,
        "address_flag": True,
        "preferred_contact_method": "All",
        "marketing_opt_in": True,
    }

    decision = decide_channel_consent(channel, **{**facts, **given})

    assert (decision.granted, decision.reason) == (granted, reason)
