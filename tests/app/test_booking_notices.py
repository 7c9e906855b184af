"""What the customer is told about their appointment, through the SendGrid and Twilio stand-ins.

A confirmation on booking (email and/or SMS per consent; demo mode honoured), a note on every move or
cancellation, and one reminder 24 hours ahead inside the sending window; each at most once.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from tests.support.booking_claims import FRIDAY_10AM, book
from tests.support.chat_world import LOCATION, MAYA_EMAIL, MAYA_PHONE, ChatWorld

from leadorch.app.audit import lead_history, render_text
from leadorch.app.booking.notices import NoticeLedger, send_appointment_notice
from leadorch.app.booking.reminders import send_due_reminders
from leadorch.domain.appointment import Appointment
from leadorch.domain.sending_rules import RULES_VERSION

THURSDAY_10AM = FRIDAY_10AM - timedelta(days=1)
SAN_DIEGO = ZoneInfo("America/Los_Angeles")


@pytest.fixture(scope="module")
def shared_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('notices') / 'events.db'}"


def test_a_booking_is_confirmed_by_email_and_text_with_a_link_back_to_the_chat(chat_world: ChatWorld) -> None:
    book(chat_world)

    (email,) = chat_world.emails_to(MAYA_EMAIL)
    (text,) = chat_world.texts_to(MAYA_PHONE)
    assert email.subject == "You're booked: Fri Nov 27, 10:00 AM at Demo Tint San Diego"
    for body in (email.text, text.body):
        assert (
            "Fri Nov 27, 10:00 AM at Demo Tint San Diego, 2150 Camino del Rio S, San Diego, CA 92108" in body
        )
        assert "Premium Tint Package: $300." in body
        assert "To reschedule or cancel, reply in the chat: https://chat.demo-tint.example.com/chat/" in body
    # the email ends, in text and HTML, with the shop's name and postal address (as every automated email)
    assert email.text is not None and email.html is not None
    assert email.text.endswith("\n--\nDemo Tint San Diego\n2150 Camino del Rio S, San Diego, CA 92108\n")
    assert "Demo Tint San Diego &middot; 2150 Camino del Rio S, San Diego, CA 92108" in email.html
    token = re.search(r"/chat/(\S+) or call", text.body)
    assert token is not None
    reopened = chat_world.client.post("/api/chat/sessions", json={"token": token.group(1)})
    assert (
        reopened.status_code == 201 and reopened.json()["appointment"]["label"] == "Fri Nov 27, 10:00 AM PST"
    )


def test_only_consented_channels_are_used(chat_world: ChatWorld) -> None:
    email_only = chat_world.new_lead(first_name="Ana", phone=None)

    book(chat_world, email_only)

    assert len(chat_world.emails_to(MAYA_EMAIL)) == 1
    assert chat_world.texts_to(MAYA_PHONE) == []


def test_demo_mode_suppresses_addresses_off_the_allow_list(chat_world: ChatWorld) -> None:
    stranger = chat_world.new_lead(first_name="Sam", email="sam@example.org", phone=None)

    appointment_id = book(chat_world, stranger)

    assert chat_world.emails_to("sam@example.org") == []
    assert NoticeLedger(chat_world.container.db).sent(appointment_id) == [("booked", "email", "suppressed")]


def test_moves_and_cancellations_are_announced_and_each_notice_goes_once(chat_world: ChatWorld) -> None:
    appointment_id = book(chat_world)
    location = chat_world.container.config.location(chat_world.tenant_id, LOCATION)
    service = chat_world.container.booking
    service.reschedule(
        tenant_id=chat_world.tenant_id,
        lead_id=chat_world.lead_id,
        location=location,
        start=FRIDAY_10AM + timedelta(days=1),
    )
    service.cancel(tenant_id=chat_world.tenant_id, lead_id=chat_world.lead_id, reason="plans changed")

    again = send_appointment_notice(chat_world.container, chat_world.tenant_id, appointment_id, "booked")

    subjects = [mail.subject for mail in chat_world.emails_to(MAYA_EMAIL)]
    assert subjects == [
        "You're booked: Fri Nov 27, 10:00 AM at Demo Tint San Diego",
        "Your appointment moved to Sat Nov 28, 10:00 AM at Demo Tint San Diego",
        "Your appointment at Demo Tint San Diego is cancelled",
    ]
    assert [outcome.status for outcome in again] == ["duplicate", "duplicate"]
    assert len(chat_world.texts_to(MAYA_PHONE)) == 3


def reminders_of(world: ChatWorld, appointment_id: str) -> list[str]:
    """The reminder notices recorded for the appointment (the sweep serves every tenant in the database)."""
    notices = NoticeLedger(world.container.db).sent(appointment_id)
    return [
        f"{notice.split(':')[0]}/{channel}/{status}"
        for notice, channel, status in notices
        if notice.startswith("reminder")
    ]


def test_a_reminder_goes_out_24_hours_ahead_once(chat_world: ChatWorld) -> None:
    appointment_id = book(chat_world)
    chat_world.catch_up()

    chat_world.clock.set(THURSDAY_10AM - timedelta(minutes=1))
    send_due_reminders(chat_world.container)
    too_early = reminders_of(chat_world, appointment_id)
    chat_world.clock.set(THURSDAY_10AM)
    send_due_reminders(chat_world.container)
    chat_world.clock.set(THURSDAY_10AM + timedelta(minutes=5))
    send_due_reminders(chat_world.container)

    assert too_early == []
    assert reminders_of(chat_world, appointment_id) == ["reminder/email/sent", "reminder/sms/sent"]
    reminders = [
        mail
        for mail in chat_world.emails_to(MAYA_EMAIL)
        if mail.subject.startswith("Reminder") and mail.custom_args.get("tenant_id") == chat_world.tenant_id
    ]
    assert [mail.subject for mail in reminders] == ["Reminder: Fri Nov 27, 10:00 AM at Demo Tint San Diego"]


def test_a_reminder_due_before_the_sending_window_waits_for_it_to_open(chat_world: ChatWorld) -> None:
    chat_world.container.config.set_sending_window(
        chat_world.tenant_id, LOCATION, start="11:00", end="20:00", actor="test"
    )
    appointment_id = book(
        chat_world
    )  # Friday 10:00: 24 hours ahead is Thursday 10:00, before the window opens
    chat_world.catch_up()

    chat_world.clock.set(THURSDAY_10AM + timedelta(minutes=30))
    send_due_reminders(chat_world.container)
    before_window = reminders_of(chat_world, appointment_id)
    chat_world.clock.set(THURSDAY_10AM + timedelta(hours=1))
    send_due_reminders(chat_world.container)

    assert before_window == []
    assert reminders_of(chat_world, appointment_id) == ["reminder/email/sent", "reminder/sms/sent"]


def test_an_appointment_booked_less_than_a_day_ahead_gets_no_reminder(chat_world: ChatWorld) -> None:
    chat_world.clock.set(THURSDAY_10AM + timedelta(hours=2))  # Thursday noon: booking Friday 10:00
    appointment_id = book(chat_world)
    chat_world.catch_up()

    chat_world.clock.set(THURSDAY_10AM + timedelta(hours=3))
    send_due_reminders(chat_world.container)

    assert reminders_of(chat_world, appointment_id) == []


def test_a_reminder_to_a_guam_number_waits_for_8_am_in_guam(chat_world: ChatWorld) -> None:
    """Quiet hours bind reminders: 24 hours before a 10:00 appointment in San Diego is 04:00 in Guam."""
    guam = chat_world.new_lead(first_name="Kai", phone="+16715550142")
    appointment_id = book(chat_world, guam)
    chat_world.catch_up()

    chat_world.clock.set(THURSDAY_10AM + timedelta(hours=3, minutes=59))  # 07:59 in Guam
    send_due_reminders(chat_world.container)
    before_8_in_guam = reminders_of(chat_world, appointment_id)
    chat_world.clock.set(THURSDAY_10AM + timedelta(hours=4))  # 08:00 in Guam
    send_due_reminders(chat_world.container)

    assert before_8_in_guam == []
    # The demo tenant's allow-list holds only the world's own number: the text is held back, not sent.
    assert reminders_of(chat_world, appointment_id) == ["reminder/email/sent", "reminder/sms/suppressed"]


def notice_proofs(world: ChatWorld, appointment_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, channel) → the proof each notice recorded with its send, from the appointment's events."""
    return {
        (event.kind, event.channel): event.allowed_by
        for event in world.container.store.events.get(UUID(appointment_id))
        if isinstance(event, Appointment.NoticeSent)
    }


def test_a_confirmation_records_what_allowed_it_and_the_audit_says_so(chat_world: ChatWorld) -> None:
    """Proof for every message: a notice is no solicitation (no cap counts it) and, confirming what the
    customer just did, goes at once; its proof still shows both windows as read, the recipient as derived
    from the number (619: California), the rules' version and the consent it relied on."""
    chat_world.clock.set(datetime(2026, 11, 25, 22, 40, tzinfo=SAN_DIEGO))  # after the window closed
    appointment_id = book(chat_world)

    proofs = notice_proofs(chat_world, appointment_id)
    assert set(proofs) == {("booked", "email"), ("booked", "sms")}
    text = proofs[("booked", "sms")]
    assert text["rules_version"] == RULES_VERSION
    assert text["message"]["quiet_hours"] == "not held" and text["message"]["solicitation"] is False
    assert text["cap"] is None
    assert text["recipient"]["state"] == "CA" and text["recipient_zones_used"] == ["America/Los_Angeles"]
    assert text["location_window"]["local_time"].startswith("2026-11-25T22:40")
    assert [row["rule"] for row in text["legal_hours"]] == ["US-TCPA-calling-hours"]
    assert text["consent"]["channel"] == "sms" and text["consent"]["granted"] is True
    audit = render_text(lead_history(chat_world.container.store, chat_world.lead_id))
    (line,) = [line for line in audit.splitlines() if "NoticeSent" in line and "channel=sms" in line]
    assert f"allowed: rules {RULES_VERSION}: appointment confirmation: about an appointment" in line
    assert "the windows as read when it went (they do not hold it)" in line and "sms consent given" in line


def test_a_reminder_is_held_when_it_would_go_outside_the_windows_and_its_proof_says_they_applied(
    chat_world: ChatWorld,
) -> None:
    """A reminder queued inside the window but picked up after it closed is not sent then: nothing is
    claimed, so the reminder job hands it on again once both windows allow it."""
    appointment_id = book(chat_world)
    chat_world.catch_up()

    chat_world.clock.set(datetime(2026, 11, 26, 21, 5, tzinfo=SAN_DIEGO))  # Thursday 21:05: too late
    late = send_appointment_notice(chat_world.container, chat_world.tenant_id, appointment_id, "reminder")
    held = reminders_of(chat_world, appointment_id)
    chat_world.clock.set(THURSDAY_10AM)
    on_time = send_appointment_notice(chat_world.container, chat_world.tenant_id, appointment_id, "reminder")

    assert {outcome.status for outcome in late} == {"held"} and held == []
    assert all("sending window" in outcome.detail for outcome in late)
    assert [outcome.status for outcome in on_time] == ["sent", "sent"]
    proof = notice_proofs(chat_world, appointment_id)[("reminder", "sms")]
    assert proof["message"]["quiet_hours"] == "applied" and proof["cap"] is None
    assert proof["location_window"]["local_time"].startswith("2026-11-26T10:00")
