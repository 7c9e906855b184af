"""Why a message was allowed, in one line: the proof a send recorded (`TouchSent.allowed_by`,
`Appointment.NoticeSent.allowed_by`) read back.

The proof is data (`SendingTerms.proof` plus the consent relied on, and for a notice what kind of
message it was: `notice_rules.proof`), kept whole in the event; this is how the audit and the console
say it to a person: "why was this text allowed at 19:58?".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadorch.domain.lead import Lead
from leadorch.domain.values import Channel


def consent_relied_on(lead: Lead, channel: Channel) -> dict[str, Any]:
    """The consent on record a send to `channel` relied on, as the send's proof records it."""
    evidence = lead.consent_evidence.get(channel)
    return {
        "channel": channel.value,
        "granted": bool(lead.consent[channel]),
        "evidence": evidence.to_data() if evidence is not None else None,
        **({} if evidence is not None else {"note": "no evidence kept: the lead predates consent evidence"}),
    }


def _clock(reading: Any) -> str:
    text = str(reading or "")
    return text[11:16] if len(text) >= 16 else text


def why_allowed(proof: Mapping[str, Any]) -> str:
    """Every limit the message met, as read when it went out, and the consent it relied on."""
    parts: list[str] = []
    message = proof.get("message") or {}
    if message:  # a notice: what it was, and which of the terms below bound it
        parts.append(f"{message.get('label')}: {message.get('why')}")
        if message.get("quiet_hours") == "applied":
            parts.append("it waited for both windows")
        else:
            parts.append("the windows as read when it went (they do not hold it)")
    window = proof.get("location_window") or {}
    if window:
        parts.append(
            f"the location's window {str(window.get('start'))[:5]}–{str(window.get('end'))[:5]} "
            f"({window.get('zone')}: {_clock(window.get('local_time'))})"
        )
    for row in proof.get("legal_hours") or []:
        in_force = "" if row.get("in_force", True) else ", not yet in force"
        parts.append(
            f"{row.get('rule')} {row.get('allowed')} ({row.get('zone')}: {_clock(row.get('local_time'))}{in_force})"
        )
    recipient = proof.get("recipient") or {}
    if recipient:
        zones = ", ".join(proof.get("recipient_zones_used") or recipient.get("zones") or []) or "unknown zone"
        parts.append(
            f"recipient in {recipient.get('state') or 'an unknown state'}, {zones} ({recipient.get('derived_from')})"
        )
    cap = proof.get("cap")
    if cap:
        parts.append(
            f"solicitation {cap.get('count_with_this_one')} of {cap.get('limit')} in "
            f"{cap.get('period_hours'):g} h ({cap.get('rule')})"
        )
    elif message:
        pass  # said above: no cap counts a notice
    elif proof.get("solicitation") is False:
        parts.append("not a text to the number: no cap counts it")
    elif "solicitation" in proof:
        parts.append("no cap protects this number")
    consent = proof.get("consent")
    if consent:
        evidence = consent.get("evidence") or {}
        basis = evidence.get("reason") or evidence.get("source") or consent.get("note") or "the lead's record"
        granted = "given" if consent.get("granted") else "NOT given"
        parts.append(f"{consent.get('channel')} consent {granted} ({basis})")
    version = proof.get("rules_version")
    return (f"rules {version}: " if version else "") + "; ".join(parts)
