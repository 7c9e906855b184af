"""A lead's timeline reads as sentences for a shop owner: every event type the domain records has its
own sentence, an event type without one still reads as a sentence, and the raw fields are behind a
"details" toggle (a `<details>` element) instead of in the text."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from eventsourcing.domain import DomainEvent
from litestar.testing import TestClient
from tests.app.test_console_pages import section, text
from tests.app.test_console_world import ADMIN_TOKEN, TENANT, ConsoleWorld, build_world, log_in

from leadorch.app.console.timeline import SENTENCES, generic_sentence, sentence
from leadorch.app.http.app import create_app
from leadorch.domain.appointment import Appointment
from leadorch.domain.conversation import Conversation
from leadorch.domain.intake import OrderIntake
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule

SAN_DIEGO = "America/Los_Angeles"
AGGREGATES = (Lead, TouchPointSchedule, OrderIntake, Appointment, Conversation)


def event_types() -> list[tuple[str, str]]:
    """(aggregate, event) for every event class the lead's history can hold."""
    return [
        (aggregate.__name__, name)
        for aggregate in AGGREGATES
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, DomainEvent)
        and name not in ("Event", "Created")  # the bases the library gives each aggregate
    ]


def test_every_event_type_of_a_leads_history_has_its_own_sentence() -> None:
    kinds = event_types()
    assert len(kinds) > 40  # the enumeration found the events
    assert [kind for kind in kinds if kind not in SENTENCES] == []


@pytest.mark.parametrize(("aggregate", "event"), event_types())
def test_a_sentence_reads_even_when_an_old_event_lacks_fields(aggregate: str, event: str) -> None:
    written = sentence(aggregate, event, {}, SAN_DIEGO)
    assert written[:1].isupper() and written[-1] in ".”", written
    assert "None" not in written and "{" not in written


@pytest.mark.parametrize(
    ("aggregate", "event", "data", "expected"),
    [
        ("TouchPointSchedule", "TouchSent", {"touch_number": 2, "channel": "sms", "provider_message_id": "SM1"},
         "Touch 2 sent by text."),
        ("Appointment", "Booked",
         {"start": "2026-12-05T17:00:00+00:00", "services": [{"name": "Ceramic Tint"}], "price_cents": 45000},
         "Appointment booked for Sat Dec 5, 9:00 AM: Ceramic Tint, $450.00."),
        ("TouchPointSchedule", "TouchSuppressed",
         {"touch_number": 1, "channel": "email", "reason": "demo mode: j***@example.com is not on the tenant's allow-list"},
         "Touch 1 by email held back: demo mode: j***@example.com is not on the tenant's allow-list."),
        ("TouchPointSchedule", "TouchCompleted",
         {"touch_number": 1, "next_touch_number": 2, "next_due_at": "2026-12-04T18:30:00+00:00"},
         "Touch 1 done; touch 2 is due Fri Dec 4, 10:30 AM."),
        ("TouchPointSchedule", "TouchCompleted", {"touch_number": 13, "next_touch_number": None},
         "Touch 13 done; it was the last touch."),
        ("TouchPointSchedule", "SendingTermsChanged",
         {"location_id": "brooklyn", "window": {"start": "09:00:00", "end": "12:00:00", "days": [1, 2, 3, 4, 5]},
          "time_zone": "America/New_York", "reason": "the CRM moved the lead to another location",
          "next_due_at": "2026-12-04T18:30:00+00:00"},
         "The cadence now follows the sending window of location brooklyn, 09:00–12:00 Mon, Tue, Wed, Thu, Fri, "
         "America/New_York time: the CRM moved the lead to another location; the next touch is due Fri Dec 4, 10:30 AM."),
        ("TouchPointSchedule", "Started", {"plan": [{"number": 1, "day": 0}, {"number": 2, "day": 1}],
                                           "next_due_at": "2026-12-03T16:00:00+00:00"},
         "Follow-up cadence started: 2 touches, the first due Thu Dec 3, 8:00 AM."),
        ("Lead", "QuoteJoined", {"crm_order_id": "o-2", "services": ["Tint", "Sunroof"], "added": ["Sunroof"]},
         "Another quote from the customer for the same vehicle joined this lead (CRM order o-2): Sunroof added."),
        ("Lead", "ConsentChanged",
         {"channel": "sms", "granted": True,
          "evidence": {"source": "shopmonkey", "reason": "the phone number is opted in to automatic texts in the CRM"}},
         "Consent on record changed (shopmonkey): text messages allowed — the phone number is opted in to automatic texts in the CRM."),
        ("Lead", "ReplyRecorded", {"channel": "email", "text": "Saturday morning works"},
         "The customer replied by email: “Saturday morning works”"),
        ("Lead", "AutoReplyReceived",
         {"channel": "email", "kind": "out_of_office", "sign": "Auto-Submitted", "returns_on": "2026-12-14",
          "excerpt": "I'm out of the office until December 14"},
         "Not an answer: an out-of-office notice came by email, back Mon Dec 14: “I'm out of the office until December 14”. The cadence goes on (recognised by Auto-Submitted)."),
        ("TouchPointSchedule", "Held",
         {"until": "2026-12-14", "reason": "the customer is away", "touch_number": 3,
          "next_due_at": "2026-12-15T18:30:00+00:00"},
         "Follow-up cadence held until after Mon Dec 14: the customer is away; touch 3 is due Tue Dec 15, 10:30 AM."),
        ("TouchPointSchedule", "UncertainTouchResolved",
         {"touch_number": 2, "channels": ["email", "sms"], "outcome": "not_sent", "by": "Ana via console"},
         "Ana via console recorded that touch 2 was not sent by email and text."),
    ],
)  # fmt: skip
def test_each_event_reads_as_a_sentence_on_the_shops_clock(
    aggregate: str, event: str, data: dict[str, object], expected: str
) -> None:
    assert sentence(aggregate, event, data, SAN_DIEGO) == expected


def test_an_event_type_without_a_sentence_still_reads_as_one() -> None:
    assert (
        sentence("Lead", "ScoreChanged", {"score": 3}, None)
        == "Something happened to the lead: score changed."
    )
    assert (
        generic_sentence("LoyaltyCard", "PointsAdded")
        == "Something happened to the loyalty card: points added."
    )


# ------------------------------------------------------------------------------------------ the page


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleWorld]:
    built = build_world(f"sqlite:///{tmp_path_factory.mktemp('console-timeline') / 'events.db'}")
    yield built
    built.container.close()


@pytest.fixture(scope="module")
def client(world: ConsoleWorld) -> Iterator[TestClient]:
    with TestClient(create_app(world.container), base_url="http://testserver.local") as test_client:
        log_in(test_client, ADMIN_TOKEN)
        yield test_client


def test_the_timeline_shows_sentences_and_keeps_the_raw_fields_behind_details(
    client: TestClient, world: ConsoleWorld
) -> None:
    timeline = section(client.get(f"/console/t/{TENANT}/leads/{world.leads['Jane']}").text, "timeline")
    sentences = [text(s) for s in re.findall(r'<span class="sentence">(.*?)</span>', timeline)]
    assert sentences[:2] == [
        "New lead from CRM order 1001: J*** D*** (2021 Toyota Camry; Ceramic Tint).",
        "Follow-up cadence started: 13 touches, the first due Mon Jun 2, 10:00 AM.",
    ]
    [sent] = [s for s in sentences if s.startswith("Touch 1 sent by text.")]
    assert " Allowed by " in sent  # the send's proof, in words (tests/app/test_touch_proof.py has them)
    assert sentences[-1] == "Appointment booked for Thu Jun 5, 10:00 AM: Ceramic Tint, $450.00."
    items = re.findall(r"<li data-event=.*?</li>", timeline, flags=re.S)
    assert len(items) == len(sentences) == 11
    for item in items:
        assert re.search(r"<details class=\"raw\">\s*<summary>details</summary>", item)
        outside = re.sub(r"<details.*?</details>", "", item, flags=re.S)
        assert (
            "{" not in outside and "[" not in outside and "plan" not in outside and "tenant_id" not in outside
        )
    started = next(item for item in items if 'data-event="TouchPointSchedule.Started"' in item)
    assert "<dt>plan</dt>" in started and "&#34;number&#34;:1" in started.replace("&quot;", "&#34;")
