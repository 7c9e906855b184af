"""The day an out-of-office notice says its writer is back, in the forms such notices use."""

from __future__ import annotations

from datetime import date

import pytest

from leadorch.domain.return_date import MAX_DAYS_AHEAD, return_date

TODAY = date(2026, 12, 3)  # a Thursday


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("I'm out of the office until December 14", date(2026, 12, 14)),
        ("I am out of the office until Monday, December 14.", date(2026, 12, 14)),
        ("Out until Dec. 14th, 2026", date(2026, 12, 14)),
        ("back on Monday 12/14", date(2026, 12, 14)),
        ("Back on 12/14/2026.", date(2026, 12, 14)),
        ("back 12/14/26", date(2026, 12, 14)),
        ("returning 14 Dec", date(2026, 12, 14)),
        ("I will be returning on the 14th of December", date(2026, 12, 14)),
        ("I'll be back in the office on 2026-12-14", date(2026, 12, 14)),
        ("away through Jan 4", date(2027, 1, 4)),  # no year: the next January 4th
        ("on leave till Tuesday", date(2026, 12, 8)),
        ("back on Thursday", date(2026, 12, 10)),  # today is Thursday: the next one
        ("back tomorrow", date(2026, 12, 4)),
        ("in the office from Monday", date(2026, 12, 7)),
        ("de vacaciones hasta el 14 de dic", None),  # Spanish month words are not read
        ("estaré fuera hasta 12/14", date(2026, 12, 14)),
    ],
)
def test_common_forms_of_a_return_day(text: str, back: date | None) -> None:
    assert return_date(text, TODAY) == back


@pytest.mark.parametrize(
    "text",
    [
        "I'm out of the office until November 30",  # past (next year's is more than 60 days out)
        "back on 12/01/2026",  # past, with its year
        "on sabbatical until March 31",  # more than 60 days away
        "back on February 30",  # not a day
        "We'll get back to you within 2 business days",
        "I am currently out of the office",
        "Thanks! December 14 works",  # a date, but not after a return word
    ],
)
def test_no_return_day_when_it_is_past_too_far_unreal_or_not_named(text: str) -> None:
    assert return_date(text, TODAY) is None


def test_today_and_the_last_day_believed_are_answers_the_day_after_is_not() -> None:
    assert return_date("back 12/3", TODAY) == TODAY
    assert return_date("back on 2027-02-01", TODAY) == date(2027, 2, 1)
    assert (date(2027, 2, 1) - TODAY).days == MAX_DAYS_AHEAD
    assert return_date("back on 2027-02-02", TODAY) is None
