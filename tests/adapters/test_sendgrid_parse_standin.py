"""The Inbound Parse stand-in posts what SendGrid posts, and the adapter reads each kind of mail from it."""

from __future__ import annotations

import json
from datetime import date

from tests.support.inbound_mail import a_bounce, a_reply, an_out_of_office

from leadorch.adapters.sendgrid_inbound import parse_inbound_email
from leadorch.adapters.standins.sendgrid_parse import inbound_parse_post
from leadorch.domain.auto_reply import AutoReplyKind, email_auto_reply

JANE = "Jane Doe <jane.doe@example.com>"
TODAY = date(2026, 12, 3)


def test_a_delivery_report_shows_as_its_content_type_in_the_headers_field_and_its_human_part_as_text() -> (
    None
):
    post = inbound_parse_post(a_bounce("jane.doe@example.com"), envelope_from="")

    assert "Content-Type: multipart/report; report-type=delivery-status;" in post.fields["headers"]
    assert "could not be delivered" in post.fields["text"]
    assert json.loads(post.fields["envelope"])["from"] == ""
    info = json.loads(post.fields["attachment-info"])
    assert [part["type"] for part in info.values()] == ["message/delivery-status", "text/rfc822-headers"]
    assert post.fields["attachments"] == "2" and set(post.attachments) == {"attachment1", "attachment2"}


def test_the_adapter_reads_a_bounce_as_a_delivery_failure() -> None:
    email = parse_inbound_email(inbound_parse_post(a_bounce("jane.doe@example.com"), envelope_from="").fields)

    found = email_auto_reply(
        email.headers, email.from_email, email.text, subject=email.subject,
        return_path="" if email.null_sender else email.envelope_from, today=TODAY,
    )  # fmt: skip

    assert email.null_sender and email.from_email == "mailer-daemon@mx.example.com"
    assert found is not None and found.kind is AutoReplyKind.DELIVERY_FAILURE


def test_the_adapter_reads_an_outlook_out_of_office_with_its_return_day() -> None:
    message = an_out_of_office("I'm out of the office until December 14 with limited email.", sender=JANE)
    email = parse_inbound_email(inbound_parse_post(message).fields)

    found = email_auto_reply(email.headers, email.from_email, email.text, subject=email.subject, today=TODAY)

    assert email.headers["x-auto-response-suppress"] == "All"
    assert found is not None and found.kind is AutoReplyKind.OUT_OF_OFFICE
    assert found.returns_on == date(2026, 12, 14)


def test_a_gmail_vacation_answer_is_an_out_of_office_too() -> None:
    message = an_out_of_office("On vacation, back on Monday 12/14.", sender=JANE, outlook=False)
    email = parse_inbound_email(inbound_parse_post(message).fields)

    found = email_auto_reply(email.headers, email.from_email, email.text, subject=email.subject, today=TODAY)

    assert found is not None and (found.kind, found.returns_on) == (
        AutoReplyKind.OUT_OF_OFFICE,
        date(2026, 12, 14),
    )


def test_a_persons_reply_has_no_automatic_sign() -> None:
    message = a_reply("I'm out of town until the 14th, can I book after?", sender=JANE)
    email = parse_inbound_email(inbound_parse_post(message).fields)

    assert email.text == "I'm out of town until the 14th, can I book after?"
    assert email.in_reply_to == "<touch-1.lead-42@sunshield.example.com>"
    assert (
        email_auto_reply(email.headers, email.from_email, email.text, subject=email.subject, today=TODAY)
        is None
    )
