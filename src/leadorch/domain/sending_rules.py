"""The sending rules: when the law lets an automated message reach its recipient, and how many a day.

This is the table a reviewer reads. Each `LegalRule` names the law, where it is written and when it came
into force, and says which recipients it covers (by the state presumed from the phone number's area
code), the hours it allows in the recipient's time zone, and its cap on messages per rolling period.
`RULES_VERSION` changes whenever a row changes; every send records the version it was checked against,
so an old send is always judged by the table it was sent under.

What the rules count and bind, and why (the choices are ours; the reasons are the laws' wording):

- **Quiet hours bind every automated message we send a customer** — the cadence's touches, appointment
  reminders, and notices — on every channel. The laws speak of calls and texts; we hold the email of a
  touch to the same hours because a touch is planned and sent as one unit, and an email at 22:00 is as
  unwelcome as a text. The one exception is an immediate confirmation of what the customer has just
  done (booked, moved or cancelled an appointment, or a reply to a message they just sent): it answers
  the customer at the moment they chose to talk to us, which is not a solicitation.
- **The cap counts solicitations only**: the cadence's touches and any other marketing message, to the
  same number (texts; an email is not sent "to the number"). Notices about an appointment the customer
  made (confirmation, reschedule, cancellation, reminder) and answers to a message the customer just
  sent are not telephone sales calls under either statute, so they are neither counted nor capped.
- **Residency is presumed from the area code** (both statutes allow that presumption). A number whose
  area code spans several zones is held to all of them (the most restrictive reading); a number we know
  nothing about is held to the federal rule in the location's zone.

The numbers and dates below follow the statutes as cited; review them with counsel before relying on them
for a new state, and add a row (with its own source and effective date) rather than editing one in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from leadorch.domain.errors import InvalidValue

RULES_VERSION = "2026-12-03.1"
"""The table's version: bump it with any change to `RULES` (recorded with every send)."""

EVERY_DAY = frozenset(range(7))
SUNDAY = 0


@dataclass(frozen=True)
class RecipientContext:
    """Where the recipient of a message presumably is: a US state (two letters) and time zone(s).

    Derived from the phone number by an adapter; the domain only reads it. `zones` empty means nothing
    is known (the location's zone is used); `derived_from` says how it was found, for the audit.
    """

    state: str | None = None
    zones: tuple[str, ...] = ()
    derived_from: str = "nothing known about the number"

    def __post_init__(self) -> None:
        if self.state is not None and (
            not isinstance(self.state, str) or len(self.state) != 2 or not self.state.isalpha()
        ):
            raise InvalidValue(f"a recipient's state is two letters such as 'FL', not {self.state!r}")
        if isinstance(self.zones, str):
            raise InvalidValue("a recipient's zones are a list of IANA names, not one string")
        object.__setattr__(self, "state", self.state.upper() if self.state else None)
        object.__setattr__(self, "zones", tuple(sorted(set(self.zones))))

    @property
    def is_known(self) -> bool:
        """Whether the number told us the recipient's zone."""
        return bool(self.zones)

    def to_data(self) -> dict[str, Any]:
        """Plain data for events."""
        return {"state": self.state, "zones": list(self.zones), "derived_from": self.derived_from}

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> RecipientContext:
        """The context described by `to_data()`'s output (None: nothing known, as in older events)."""
        if data is None:
            return UNKNOWN_RECIPIENT
        return cls(
            state=data.get("state"),
            zones=tuple(data.get("zones") or ()),
            derived_from=str(data.get("derived_from") or UNKNOWN_RECIPIENT.derived_from),
        )


UNKNOWN_RECIPIENT = RecipientContext()


@dataclass(frozen=True)
class LegalRule:
    """One row of the table: a law's allowed hours (recipient's local time) and its cap, for whom, since when.

    `hours` maps a day of the week (Sunday = 0 … Saturday = 6) to the allowed (start, end), both
    included; a day missing from it allows nothing. `states` None means every recipient (federal).
    """

    rule_id: str
    law: str
    source: str
    effective: date
    hours: Mapping[int, tuple[time, time]]
    states: frozenset[str] | None = None
    cap: int | None = None
    cap_period: timedelta = timedelta(hours=24)
    choice: str = ""
    """Our reading of the rule, and why (shown to reviewers and recorded nowhere else)."""

    def __post_init__(self) -> None:
        for day, (start, end) in self.hours.items():
            if day not in EVERY_DAY or not start < end:
                raise InvalidValue(f"rule {self.rule_id}: day {day} hours {start}–{end} are not a window")
        if self.cap is not None and self.cap < 1:
            raise InvalidValue(f"rule {self.rule_id}: a cap allows at least one message")

    def covers(self, recipient: RecipientContext) -> bool:
        """Whether the rule protects `recipient` (federal rules protect everyone)."""
        return self.states is None or recipient.state in self.states

    def in_force_on(self, day: date) -> bool:
        """Whether the rule binds sends on the recipient's local date `day`."""
        return day >= self.effective

    def hours_on(self, day: date) -> tuple[time, time] | None:
        """The allowed (start, end) on the recipient's local date `day`, or None when nothing is allowed."""
        return self.hours.get((day.weekday() + 1) % 7)

    def summary(self) -> dict[str, Any]:
        """What a send's proof records of this rule."""
        return {
            "rule": self.rule_id,
            "law": self.law,
            "source": self.source,
            "effective": str(self.effective),
        }


def _daily(start: time, end: time, days: frozenset[int] = EVERY_DAY) -> dict[int, tuple[time, time]]:
    return {day: (start, end) for day in days}


FEDERAL = LegalRule(
    rule_id="US-TCPA-calling-hours",
    law="Telephone Consumer Protection Act; FCC rule on telephone solicitations",
    source="47 U.S.C. § 227; 47 C.F.R. § 64.1200(c)(1)",
    effective=date(1992, 12, 20),
    hours=_daily(time(8), time(21)),
    choice="08:00–21:00 at the called party's location, for every recipient and every message we initiate.",
)
FLORIDA = LegalRule(
    rule_id="FL-501.059",
    law="Florida Telephone Solicitation Act (as amended 2023)",
    source="Fla. Stat. § 501.059(8)(a)",
    effective=date(2021, 7, 1),
    hours=_daily(time(8), time(20)),
    states=frozenset({"FL"}),
    cap=3,
    choice=(
        "08:00–20:00 in the called person's zone; at most 3 solicitations per rolling 24 hours to one "
        "number (we count every marketing text, not only those 'on the same subject': we have one subject)."
    ),
)
OKLAHOMA = LegalRule(
    rule_id="OK-775C.4",
    law="Oklahoma Telephone Solicitation Act of 2022",
    source="15 O.S. § 775C.4",
    effective=date(2022, 11, 1),
    hours=_daily(time(8), time(20)),
    states=frozenset({"OK"}),
    cap=3,
    choice="As Florida: 08:00–20:00 recipient time, at most 3 solicitations per rolling 24 hours per number.",
)
TEXAS = LegalRule(
    rule_id="TX-SB140",
    law="Texas SB 140 (2025): telephone solicitation includes texts",
    source="Tex. Bus. & Com. Code § 301.051, as extended by SB 140",
    effective=date(2025, 9, 1),
    hours={**_daily(time(9), time(21), EVERY_DAY - {SUNDAY}), SUNDAY: (time(12), time(21))},
    states=frozenset({"TX"}),
    choice="09:00–21:00 Monday to Saturday and 12:00–21:00 on Sunday, recipient time.",
)

RULES: tuple[LegalRule, ...] = (FEDERAL, FLORIDA, OKLAHOMA, TEXAS)
"""The table. To add a state: one `LegalRule` with its source and effective date, then bump the version."""


@dataclass(frozen=True)
class RulesTable:
    """A versioned set of legal rules (the current one is `CURRENT_RULES`; tests build others)."""

    version: str
    rules: tuple[LegalRule, ...] = field(default=RULES)

    def for_recipient(self, recipient: RecipientContext) -> tuple[LegalRule, ...]:
        """The rules that protect `recipient` (the federal one always; a state's when it is theirs)."""
        return tuple(rule for rule in self.rules if rule.covers(recipient))


CURRENT_RULES = RulesTable(version=RULES_VERSION)
