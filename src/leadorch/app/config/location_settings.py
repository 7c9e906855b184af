"""A location's settings: adding one, its details, opening hours and exceptions, sending window, staff.

Each operation checks what the operator gave (clear `InvalidConfiguration` messages) and saves the new
state through the repository with an audit row naming the actor and what changed.
Edits are read-modify-write with optimistic concurrency: a lost race re-reads and re-applies the
edit a few times before giving up with `ConcurrentEdit`. An edit that changes nothing writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import msgspec

from leadorch.app.config import checks, hours, validation
from leadorch.app.config.changes import EDIT_ATTEMPTS, checked_actor, field_changes
from leadorch.app.config.errors import ConcurrentEdit, InvalidConfiguration
from leadorch.app.config.models import (
    DEFAULT_BOOKING_HORIZON_DAYS,
    DateException,
    LocationConfig,
    SendingWindowConfig,
)
from leadorch.app.config.repository import AuditRecord, ConfigRepository


class LocationSettings:
    """The per-location settings of `ConfigService`."""

    def __init__(self, repository: ConfigRepository) -> None:
        self.repository = repository

    def location(self, tenant_id: str, location_id: str) -> LocationConfig:
        return self.repository.location(tenant_id, location_id)

    def locations(self, tenant_id: str) -> list[LocationConfig]:
        self.repository.tenant(tenant_id)
        return self.repository.locations(tenant_id)

    def add_location(
        self,
        tenant_id: str,
        location_id: str,
        *,
        name: str,
        crm_location_id: str,
        time_zone: str,
        phone: str | None = None,
        address: str | None = None,
        weekly_hours: Mapping[str, Sequence[str]] | None = None,
        window: SendingWindowConfig | None = None,
        capacity: int = 1,
        min_lead_minutes: int = 120,
        slot_granularity_minutes: int = 30,
        booking_horizon_days: int = DEFAULT_BOOKING_HORIZON_DAYS,
        sms_from_number: str | None = None,
        email_from: str | None = None,
        actor: str,
    ) -> LocationConfig:
        location = checks.checked_location(
            LocationConfig(
                tenant_id=validation.slug(tenant_id, "tenant id"),
                location_id=validation.slug(location_id, "location id"),
                name=name,
                crm_location_id=crm_location_id,
                time_zone=time_zone,
                phone=phone,
                address=address,
                weekly_hours=hours.weekly_hours(weekly_hours or {}),
                window=window or SendingWindowConfig(),
                capacity=capacity,
                min_lead_minutes=min_lead_minutes,
                slot_granularity_minutes=slot_granularity_minutes,
                booking_horizon_days=booking_horizon_days,
                sms_from_number=sms_from_number,
                email_from=email_from,
            )
        )
        return self.repository.insert_location(
            location,
            audit=AuditRecord(
                actor=checked_actor(actor),
                action="location.create",
                target=_location_target(tenant_id, location_id),
                changes=field_changes(None, location),
            ),
        )

    def update_location(
        self, tenant_id: str, location_id: str, *, actor: str, **changes: Any
    ) -> LocationConfig:
        """Change any of: name, crm_location_id, time_zone, phone, address, capacity, min_lead_minutes,
        slot_granularity_minutes, booking_horizon_days, sms_from_number, email_from ("" clears an optional one), technician_ids
        (the bookable technicians' CRM user ids; [] lists none), assistant_answers_messages (whether the
        assistant answers this shop's texts and emailed replies)."""
        editable = {
            "name", "crm_location_id", "time_zone", "phone", "address", "capacity", "min_lead_minutes",
            "slot_granularity_minutes", "booking_horizon_days", "sms_from_number", "email_from",
            "technician_ids", "assistant_answers_messages",
        }  # fmt: skip
        unknown = sorted(set(changes) - editable)
        if unknown:
            raise InvalidConfiguration(
                f"cannot update {', '.join(unknown)} this way; editable: {', '.join(sorted(editable))}"
            )
        given = {key: value for key, value in changes.items() if value is not None}
        if not given:
            raise InvalidConfiguration(f"nothing to update: give one of {', '.join(sorted(editable))}")
        for optional in ("phone", "address", "sms_from_number", "email_from"):
            if given.get(optional) == "":
                given[optional] = None
        return self._edit_location(
            tenant_id,
            location_id,
            "location.update",
            actor,
            lambda loc: msgspec.structs.replace(loc, **given),
        )

    def set_hours(
        self, tenant_id: str, location_id: str, weekly_hours: Mapping[str, Sequence[str]], *, actor: str
    ) -> LocationConfig:
        checked = hours.weekly_hours(weekly_hours)
        return self._edit_location(
            tenant_id,
            location_id,
            "location.hours",
            actor,
            lambda loc: msgspec.structs.replace(loc, weekly_hours=checked),
        )

    def set_date_exception(
        self,
        tenant_id: str,
        location_id: str,
        day: date | str,
        day_hours: Sequence[str] = (),
        *,
        note: str = "",
        actor: str,
    ) -> LocationConfig:
        """Special hours for one date; no hours = closed all day (a holiday)."""
        exception = DateException(
            day=validation.calendar_date(day),
            hours=validation.intervals(list(day_hours), f"hours on {day}"),
            note=note.strip(),
        )

        def put(location: LocationConfig) -> LocationConfig:
            others = [e for e in location.exceptions if e.day != exception.day]
            return msgspec.structs.replace(
                location, exceptions=sorted([*others, exception], key=lambda e: e.day)
            )

        return self._edit_location(tenant_id, location_id, "location.exception.set", actor, put)

    def remove_date_exception(
        self, tenant_id: str, location_id: str, day: date | str, *, actor: str
    ) -> LocationConfig:
        when = validation.calendar_date(day)

        def remove(location: LocationConfig) -> LocationConfig:
            if all(e.day != when for e in location.exceptions):
                raise InvalidConfiguration(
                    f"location {location_id!r} has no special hours on {when.isoformat()}"
                )
            return msgspec.structs.replace(
                location, exceptions=[e for e in location.exceptions if e.day != when]
            )

        return self._edit_location(tenant_id, location_id, "location.exception.remove", actor, remove)

    def set_sending_window(
        self,
        tenant_id: str,
        location_id: str,
        *,
        start: str,
        end: str,
        days: Sequence[str] | None = None,
        actor: str,
    ) -> LocationConfig:
        window = checks.checked_window(
            SendingWindowConfig(
                start=start, end=end, days=list(days) if days is not None else SendingWindowConfig().days
            )
        )
        return self._edit_location(
            tenant_id,
            location_id,
            "location.sending_window",
            actor,
            lambda loc: msgspec.structs.replace(loc, window=window),
        )

    def set_staff_contact(
        self,
        tenant_id: str,
        location_id: str,
        *,
        name: str,
        email: str | None = None,
        phone: str | None = None,
        alerts: Sequence[str] = (),
        actor: str,
    ) -> LocationConfig:
        """Add a staff contact, or replace the one with the same name (names compare case-insensitively)."""
        contact = checks.staff_contact(name, email, phone, alerts)

        def put(location: LocationConfig) -> LocationConfig:
            others = [c for c in location.staff if c.name.casefold() != contact.name.casefold()]
            return msgspec.structs.replace(
                location, staff=sorted([*others, contact], key=lambda c: c.name.casefold())
            )

        return self._edit_location(tenant_id, location_id, "location.staff.set", actor, put)

    def remove_staff_contact(
        self, tenant_id: str, location_id: str, name: str, *, actor: str
    ) -> LocationConfig:
        def remove(location: LocationConfig) -> LocationConfig:
            kept = [c for c in location.staff if c.name.casefold() != name.strip().casefold()]
            if len(kept) == len(location.staff):
                raise InvalidConfiguration(f"location {location_id!r} has no staff contact named {name!r}")
            return msgspec.structs.replace(location, staff=kept)

        return self._edit_location(tenant_id, location_id, "location.staff.remove", actor, remove)

    def _edit_location(
        self,
        tenant_id: str,
        location_id: str,
        action: str,
        actor: str,
        edit: Callable[[LocationConfig], LocationConfig],
    ) -> LocationConfig:
        who = checked_actor(actor)
        for _ in range(EDIT_ATTEMPTS):
            before = self.repository.location(tenant_id, location_id)
            after = checks.checked_location(edit(before))
            changes = field_changes(before, after)
            if not changes:
                return before
            try:
                return self.repository.update_location(
                    after,
                    expected_version=before.version,
                    audit=AuditRecord(
                        actor=who,
                        action=action,
                        target=_location_target(tenant_id, location_id),
                        changes=changes,
                    ),
                )
            except ConcurrentEdit:
                continue
        raise ConcurrentEdit(f"location {location_id!r} kept changing under this edit; try again")


def _location_target(tenant_id: str, location_id: str) -> str:
    return f"location:{tenant_id}/{location_id}"
