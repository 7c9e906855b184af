"""Finding the lead an inbound message belongs to, from the `leads` read model.

An SMS reply only carries the sender's number and an emailed reply its sender's address, so they are
matched to leads here. One person may be several leads (two quote requests, two shops of a group, or
two tenants texting from one shared number): the `leads_by_*` functions return every match, newest
first, and `most_likely_answered` picks the one a reply answers: among the open leads, the one last
written in (our last touch or answer to them, or their last message), not merely the newest; the newest
lead breaks a tie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadorch.app.db import Database
from leadorch.app.projections.leads import LEADS
from leadorch.app.projections.tables import LIVE_PREFIX, parse_instant

_TABLE = LEADS.physical(LIVE_PREFIX)
_CLOSED = ("booked", "lost", "handled_by_shop")


@dataclass(frozen=True)
class LeadMatch:
    """A lead a phone number or address belongs to."""

    tenant_id: str
    lead_id: str
    location_id: str
    status: str
    received_at: datetime
    email_consent: bool
    sms_consent: bool
    last_activity_at: datetime | None = None
    """The latest of our last message to the lead and its last reply (None: neither yet)."""

    @property
    def is_open(self) -> bool:
        """Still in the automation's hands (not booked, lost or handled by the shop)."""
        return self.status not in _CLOSED


def leads_by_phone(db: Database, e164: str, tenant_id: str | None = None) -> list[LeadMatch]:
    """Every lead with phone number `e164` (of `tenant_id`, or of any tenant), newest first."""
    return _matches(db, "phone = %s", [e164.strip()], tenant_id)


def leads_by_email(db: Database, address: str, tenant_id: str | None = None) -> list[LeadMatch]:
    """Every lead with email `address` (compared case-insensitively), newest first."""
    return _matches(db, "LOWER(email) = %s", [address.strip().lower()], tenant_id)


def find_lead_by_phone(db: Database, tenant_id: str | None, e164: str) -> LeadMatch | None:
    """The lead a text from `e164` most likely answers (`most_likely_answered`)."""
    return most_likely_answered(leads_by_phone(db, e164, tenant_id))


def find_lead_by_email(db: Database, tenant_id: str | None, address: str) -> LeadMatch | None:
    """The lead an email from `address` most likely answers (`most_likely_answered`)."""
    return most_likely_answered(leads_by_email(db, address, tenant_id))


def open_leads_of(
    db: Database,
    tenant_id: str,
    *,
    location_id: str,
    crm_customer_id: str,
    crm_vehicle_id: str | None,
) -> list[LeadMatch]:
    """The open leads of a CRM customer and vehicle (None: no vehicle) at a location, newest first.

    What a repeat quote joins. Read from the read model, so a lead saved a moment ago may not be in it
    yet: the domain (`Lead.join_quote`) has the last word on whether the lead still takes a quote.
    """
    vehicle = "crm_vehicle_id IS NULL" if crm_vehicle_id is None else "crm_vehicle_id = %s"
    condition = (
        f"crm_customer_id = %s AND location_id = %s AND {vehicle} "
        f"AND status NOT IN ({', '.join(['%s'] * len(_CLOSED))})"
    )
    values = [
        crm_customer_id,
        location_id,
        *([crm_vehicle_id] if crm_vehicle_id is not None else []),
        *_CLOSED,
    ]
    return _matches(db, condition, values, tenant_id)


def most_likely_answered(matches: list[LeadMatch]) -> LeadMatch | None:
    """The lead a reply from these matches (newest first) answers: the open lead last written in, the
    newest on a tie or when none was written in; with no open lead, the newest."""
    open_leads = [match for match in matches if match.is_open]
    if not open_leads:
        return matches[0] if matches else None
    return max(open_leads, key=lambda match: match.last_activity_at or match.received_at)


def _latest(*stored: Any) -> datetime | None:
    instants = [
        moment for moment in (parse_instant(value) for value in stored if value) if moment is not None
    ]
    return max(instants, default=None)


def _matches(db: Database, condition: str, values: list[Any], tenant_id: str | None) -> list[LeadMatch]:
    if not values or not values[0]:
        return []
    params: list[Any] = list(values)
    sql = (
        "SELECT tenant_id, lead_id, location_id, status, received_at, email_consent, sms_consent, "
        "last_contact_at, last_reply_at "
        f"FROM {_TABLE} WHERE {condition}"
    )
    if tenant_id is not None:
        sql += " AND tenant_id = %s"
        params.append(tenant_id)
    sql += " ORDER BY received_at DESC, lead_id LIMIT 50"
    with db.transaction() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return [
        LeadMatch(
            tenant_id=row[0],
            lead_id=row[1],
            location_id=row[2],
            status=row[3],
            received_at=parse_instant(row[4]),  # type: ignore[arg-type]
            email_consent=bool(row[5]),
            sms_consent=bool(row[6]),
            last_activity_at=_latest(row[7], row[8]),
        )
        for row in rows
    ]
