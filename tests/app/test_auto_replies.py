"""Auto-replies are not answers: an out-of-office, a bounce or a phone's "I'm driving" is kept in the
lead's timeline while the cadence goes on, held until after the day an absence names; a person's
reply still stops it.

Emails arrive through the real endpoint (`POST /webhooks/sendgrid/inbound`) as the Inbound Parse
stand-in posts them (a multipart form built from a MIME message), texts through Twilio's signed webhook;
on SQLite and PostgreSQL (`shared_database_url`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from litestar.testing import TestClient
from tests.app.test_touch_inbound import PUBLIC, started_lead, text_from, twiml_messages
from tests.support.inbound_mail import a_bounce, a_reply, an_out_of_office
from tests.support.touch_world import TIME_ZONE, TouchWorld

from leadorch.adapters.standins.sendgrid_parse import inbound_parse_post
from leadorch.app.console.timeline import sentence
from leadorch.app.http.webhooks_sendgrid import inbound_parse_url
from leadorch.domain.values import Channel, LeadStatus

AUSTIN = ZoneInfo(TIME_ZONE)
# The world starts on Monday 2 June 2025, 10:00 in Austin; touch 1 goes out then, touch 2 is due Tuesday.
OUT_OF_OFFICE = "I'm out of the office until Friday, June 13 with limited access to email."


def post_email(client: TestClient, world: TouchWorld, message: EmailMessage, **envelope: Any) -> Any:
    url = inbound_parse_url(world.container).removeprefix(PUBLIC)
    response = client.post(url, files=inbound_parse_post(message, **envelope).multipart())
    assert response.status_code == 200, response.text
    return response.json()


def timeline(client: TestClient, world: TouchWorld, lead_id: str) -> list[str]:
    """The lead's history through the API, each event as the console's timeline says it."""
    response = client.get(
        f"/api/tenants/{world.tenant_id}/leads/{lead_id}/events",
        headers={"Authorization": f"Bearer {world.api_token}"},
    )
    assert response.status_code == 200, response.text
    return [
        sentence(event["aggregate"], event["event"], event["data"], TIME_ZONE)
        for event in response.json()["events"]
    ]


def local_day(moment: datetime) -> date:
    return moment.astimezone(AUSTIN).date()


def test_an_out_of_office_email_leaves_the_cadence_running_in_the_timeline_and_holds_the_next_touch(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    lead_id, schedule_id = started_lead(touch_world)
    touch_2_was_due = touch_world.schedule(schedule_id).next_due_at
    assert touch_2_was_due is not None and local_day(touch_2_was_due) == date(2025, 6, 3)

    answer = post_email(
        touch_client, touch_world, an_out_of_office(OUT_OF_OFFICE, sender=f"Jane Doe <{touch_world.email}>")
    )

    assert answer == {"status": "recorded", "intent": "auto_reply", "auto_reply": "out_of_office"}
    lead, schedule = touch_world.lead(lead_id), touch_world.schedule(schedule_id)
    assert lead.status is LeadStatus.CONTACTING and not lead.is_responsive
    assert schedule.is_active and not schedule.is_stopped
    due = schedule.next_due_at
    assert due is not None and local_day(due) == date(2025, 6, 14), "the first day after the return day"
    said = timeline(touch_client, touch_world, lead_id)
    assert any(
        line.startswith("Not an answer: an out-of-office notice came by email, back Fri Jun 13:")
        for line in said
    ), said
    assert any(line.startswith("Follow-up cadence held until after Fri Jun 13") for line in said), said
    assert touch_world.emails_to(touch_world.email)[-1:] and len(touch_world.texts_to(touch_world.phone)) == 1

    # Nothing goes out while the customer is away; the held touch goes out after the return day.
    touch_world.clock.advance(timedelta(days=11, hours=12))  # Fri 13 June, 22:00 in Austin
    assert touch_world.dispatch_due() == []
    assert len(touch_world.emails_to(touch_world.email)) == 1
    touch_world.clock.advance(due - touch_world.clock.now())  # Sat 14 June, 10:00
    [sent] = touch_world.dispatch_due()
    assert sent.outcomes == {"email": "sent"}  # touch 2 is an email
    assert len(touch_world.emails_to(touch_world.email)) == 2


def test_a_persons_reply_about_being_away_still_stops_the_cadence(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    lead_id, schedule_id = started_lead(touch_world)

    answer = post_email(
        touch_client,
        touch_world,
        a_reply(
            "I'm out of town until the 14th, can I book after?", sender=f"Jane Doe <{touch_world.email}>"
        ),
    )

    assert answer == {"status": "recorded", "intent": "message"}
    assert touch_world.lead(lead_id).status is LeadStatus.ENGAGED
    assert touch_world.schedule(schedule_id).is_stopped


def test_a_bounce_is_kept_on_the_lead_it_could_not_reach_and_changes_nothing_else(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    lead_id, schedule_id = started_lead(touch_world)

    answer = post_email(touch_client, touch_world, a_bounce(touch_world.email), envelope_from="")

    assert answer == {"status": "recorded", "intent": "auto_reply", "auto_reply": "delivery_failure"}
    lead = touch_world.lead(lead_id)
    assert lead.status is LeadStatus.CONTACTING and lead.can_contact(Channel.EMAIL)
    assert touch_world.schedule(schedule_id).is_active
    said = timeline(touch_client, touch_world, lead_id)
    assert any(line.startswith("Not an answer: a delivery failure notice came by email") for line in said), (
        said
    )


def test_a_bounce_about_nobody_we_know_is_ignored(touch_world: TouchWorld, touch_client: TestClient) -> None:
    answer = post_email(touch_client, touch_world, a_bounce("someone.else@example.net"), envelope_from="")

    assert answer == {"status": "unmatched", "intent": "auto_reply", "auto_reply": "delivery_failure"}


def test_an_automatic_answer_that_mentions_unsubscribing_is_no_opt_out(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    lead_id, schedule_id = started_lead(touch_world)
    message = an_out_of_office(
        "Thank you for your email. I am on vacation. To unsubscribe from our newsletter, reply STOP.",
        sender=f"Jane Doe <{touch_world.email}>",
    )

    answer = post_email(touch_client, touch_world, message)

    assert answer["intent"] == "auto_reply"
    assert touch_world.lead(lead_id).can_contact(Channel.EMAIL)
    assert touch_world.schedule(schedule_id).is_active


def test_a_phones_driving_answer_is_recorded_and_not_answered(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    lead_id, schedule_id = started_lead(touch_world)

    response = text_from(
        touch_client,
        touch_world,
        "I'm driving with Driving Focus turned on. I'll see your message when I get where I'm going.",
    )

    assert twiml_messages(response.text) == []
    lead = touch_world.lead(lead_id)
    assert lead.status is LeadStatus.CONTACTING and touch_world.schedule(schedule_id).is_active
    said = timeline(touch_client, touch_world, lead_id)
    assert any(
        line.startswith("Not an answer: a phone's do-not-disturb answer came by text") for line in said
    )


def test_a_customer_text_still_stops_the_cadence(touch_world: TouchWorld, touch_client: TestClient) -> None:
    lead_id, schedule_id = started_lead(touch_world)

    text_from(touch_client, touch_world, "I'm driving now, can you call me at 5?")

    assert touch_world.lead(lead_id).status is LeadStatus.ENGAGED
    assert touch_world.schedule(schedule_id).is_stopped
