"""Reading customers' emailed replies from SendGrid Inbound Parse form fields."""

from __future__ import annotations

import json

import pytest

from leadorch.adapters.sendgrid_inbound import (
    MalformedInboundEmail,
    html_to_text,
    parse_inbound_email,
    strip_quoted_reply,
)

RAW_HEADERS = (
    "Received: from mail-lf1-f44.google.com by mx.sendgrid.net with SMTP id abc\n"
    "DKIM-Signature: v=1; a=rsa-sha256; d=example.com\n"
    "Message-ID: <CAF=reply-123@mail.gmail.com>\n"
    "In-Reply-To: <touch-1.lead-42@mail.sunshieldtint.example>\n"
    "References: <touch-0.lead-42@mail.sunshieldtint.example>\n"
    " <touch-1.lead-42@mail.sunshieldtint.example>\n"
    "Subject: Re: Your tint quote\n"
    "From: Jane Doe <Jane.Doe@Example.com>\n"
)


def form(**changes: str) -> dict[str, str]:
    fields = {
        "from": "Jane Doe <Jane.Doe@Example.com>",
        "to": "Sun Shield Window Tint <reply+lead-42@parse.sunshieldtint.example>",
        "cc": "",
        "subject": "Re: Your tint quote",
        "text": "Thursday at 10 works for me.\n\nJane\n",
        "html": "<div>Thursday at 10 works for me.</div>",
        "headers": RAW_HEADERS,
        "envelope": json.dumps(
            {"to": ["reply+lead-42@parse.sunshieldtint.example"], "from": "Jane.Doe@example.com"}
        ),
        "spam_score": "0.1",
        "charsets": json.dumps({"to": "UTF-8", "text": "UTF-8", "subject": "UTF-8", "from": "UTF-8"}),
        "SPF": "pass",
    }
    fields.update(changes)
    return fields


def test_the_sender_is_lower_cased_and_named() -> None:
    email = parse_inbound_email(form())

    assert email.from_email == "jane.doe@example.com"
    assert email.from_name == "Jane Doe"


def test_recipients_and_envelope_are_read() -> None:
    email = parse_inbound_email(form(cc="Bob <BOB@example.com>, ann@example.com"))

    assert email.to == ["reply+lead-42@parse.sunshieldtint.example"]
    assert email.cc == ["bob@example.com", "ann@example.com"]
    assert email.envelope_to == ["reply+lead-42@parse.sunshieldtint.example"]
    assert email.envelope_from == "jane.doe@example.com"


def test_threading_ids_come_from_the_raw_headers() -> None:
    email = parse_inbound_email(form())

    assert email.message_id == "<CAF=reply-123@mail.gmail.com>"
    assert email.in_reply_to == "<touch-1.lead-42@mail.sunshieldtint.example>"
    assert email.references == [
        "<touch-0.lead-42@mail.sunshieldtint.example>",
        "<touch-1.lead-42@mail.sunshieldtint.example>",
    ]


def test_an_email_without_threading_headers_has_none() -> None:
    email = parse_inbound_email(form(headers="Subject: hi\n"))

    assert (email.message_id, email.in_reply_to, email.references) == (None, None, [])


def test_subject_text_and_html_are_kept() -> None:
    email = parse_inbound_email(form())

    assert email.subject == "Re: Your tint quote"
    assert email.text == "Thursday at 10 works for me.\n\nJane"
    assert email.full_text == "Thursday at 10 works for me.\n\nJane\n"
    assert email.html == "<div>Thursday at 10 works for me.</div>"


def test_an_encoded_sender_name_is_decoded() -> None:
    email = parse_inbound_email(form(**{"from": "=?UTF-8?B?Wm/DqyBTbWl0aA==?= <zoe@example.com>"}))

    assert email.from_name == "Zoë Smith"


def test_a_reply_with_only_html_is_read_from_the_html_without_the_quote() -> None:
    html = (
        '<div dir="ltr">Sounds <b>good</b>&nbsp;&amp; see you then!<br>Jane</div><br>'
        '<div class="gmail_quote"><div class="gmail_attr">On Tue, Nov 25, 2025 at 9:00 AM Sun Shield '
        "wrote:<br></div><blockquote>Hi Jane, when works for you?</blockquote></div>"
    )

    email = parse_inbound_email(form(text="", html=html))

    assert email.text == "Sounds good & see you then!\nJane"


@pytest.mark.parametrize(
    ("body", "reply"),
    [
        (  # Gmail, with the attribution line wrapped
            "Yes, Thursday works!\n\nOn Tue, Nov 25, 2025 at 9:00 AM Sun Shield Window Tint <\n"
            "hello@sunshieldtint.example> wrote:\n\n> Hi Jane,\n> when works for you?\n",
            "Yes, Thursday works!",
        ),
        (  # Apple Mail on a phone
            "How much for ceramic?\n\nSent from my iPhone\n\n> On Nov 25, 2025, at 9:00 AM, Sun Shield "
            "wrote:\n> \n> Hi Jane\n",
            "How much for ceramic?",
        ),
        (  # Outlook
            "Can I come Saturday?\r\n\r\n________________________________\r\nFrom: Sun Shield "
            "<hello@sunshieldtint.example>\r\nSent: Tuesday, November 25, 2025 9:00 AM\r\nTo: Jane\r\n"
            "Subject: Your tint quote\r\n\r\nHi Jane,\r\n",
            "Can I come Saturday?",
        ),
        (  # Outlook without the underscore rule
            "Saturday please.\n\nFrom: Sun Shield <hello@sunshieldtint.example>\nSent: Tuesday\nTo: Jane\n",
            "Saturday please.",
        ),
        (  # classic forward/reply separator
            "Please call me instead.\n\n-----Original Message-----\nFrom: Sun Shield\nHi Jane",
            "Please call me instead.",
        ),
        (  # signature delimiter
            "Stop emailing me.\n-- \nJane Doe\nAcme Corp",
            "Stop emailing me.",
        ),
        (  # Spanish client
            "Sí, el jueves.\n\nEl mar, 25 nov 2025 a las 9:00, Sun Shield escribió:\n> Hola",
            "Sí, el jueves.",
        ),
        (  # a message that merely starts with "On" is not a quote header
            "On second thought, can we do Friday?",
            "On second thought, can we do Friday?",
        ),
        (  # "From:" in the customer's own words is not an Outlook header
            "From: my wife's car, actually. It's a Honda.",
            "From: my wife's car, actually. It's a Honda.",
        ),
    ],
)
def test_quoted_history_and_signatures_are_stripped(body: str, reply: str) -> None:
    assert strip_quoted_reply(body) == reply


def test_a_reply_written_below_the_quote_is_kept() -> None:
    body = "> Hi Jane, when works for you?\n> Sun Shield\n\nMonday morning is best."

    assert strip_quoted_reply(body) == "Monday morning is best."


def test_html_to_text_drops_scripts_styles_and_blockquotes() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>Hello</p>"
        "<script>alert(1)</script><p>World</p><blockquote>old</blockquote></body></html>"
    )

    assert html_to_text(html) == "Hello\n\nWorld"


def test_a_missing_sender_is_refused_naming_the_field() -> None:
    fields = form()
    del fields["from"]

    with pytest.raises(MalformedInboundEmail) as caught:
        parse_inbound_email(fields)

    assert caught.value.field == "from"
    assert "'from'" in str(caught.value)


def test_a_sender_without_an_address_is_refused() -> None:
    with pytest.raises(MalformedInboundEmail, match="no email address"):
        parse_inbound_email(form(**{"from": "Jane Doe"}))


@pytest.mark.parametrize("envelope", ["{not json", "[1, 2]", '{"to": 5}'])
def test_a_malformed_envelope_is_refused_naming_the_field(envelope: str) -> None:
    with pytest.raises(MalformedInboundEmail) as caught:
        parse_inbound_email(form(envelope=envelope))

    assert caught.value.field == "envelope"


# -- what tells an auto-reply ------------------------------------------------------------------------------


def test_every_top_level_header_is_kept_by_lower_cased_name_with_encoded_words_decoded() -> None:
    raw = RAW_HEADERS + (
        "Auto-Submitted: auto-replied\n"
        "X-Auto-Response-Suppress: All\n"
        "Subject: =?UTF-8?B?UmU6IFlvdXIgdGludCBxdW90ZSDinIU=?=\n"
        "Content-Type: multipart/report; report-type=delivery-status;\n"
        ' boundary="abc"\n'
    )

    headers = parse_inbound_email(form(headers=raw)).headers

    assert headers["auto-submitted"] == "auto-replied"
    assert headers["x-auto-response-suppress"] == "All"
    assert headers["content-type"] == 'multipart/report; report-type=delivery-status; boundary="abc"'
    assert headers["subject"] == "Re: Your tint quote\nRe: Your tint quote ✅"  # repeated: both, in order
    assert "received" in headers and "dkim-signature" in headers


def test_crlf_header_blocks_read_the_same() -> None:
    raw = "Auto-Submitted: auto-replied\r\nPrecedence: bulk\r\n"

    assert parse_inbound_email(form(headers=raw)).headers == {
        "auto-submitted": "auto-replied",
        "precedence": "bulk",
    }


@pytest.mark.parametrize(
    ("envelope", "null_sender", "envelope_from"),
    [
        ({"to": ["a@parse.example"], "from": ""}, True, None),
        ({"to": ["a@parse.example"], "from": "<>"}, True, None),
        ({"to": ["a@parse.example"], "from": None}, True, None),
        ({"to": ["a@parse.example"], "from": "<Jane@Example.com>"}, False, "jane@example.com"),
        ({"to": ["a@parse.example"]}, False, None),
    ],
)
def test_an_empty_envelope_sender_is_the_null_sender(
    envelope: dict[str, object], null_sender: bool, envelope_from: str | None
) -> None:
    email = parse_inbound_email(form(envelope=json.dumps(envelope)))

    assert (email.null_sender, email.envelope_from) == (null_sender, envelope_from)


def test_an_email_without_an_envelope_has_no_null_sender() -> None:
    email = parse_inbound_email(form(envelope=""))

    assert email.null_sender is False and email.headers["message-id"] == "<CAF=reply-123@mail.gmail.com>"
