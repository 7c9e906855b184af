"""Emails as mail clients and mail systems write them, for the Inbound Parse stand-in to post.

`a_reply` is a person answering from Gmail; `an_out_of_office` Outlook's or Gmail's vacation answer
(`Auto-Submitted`, Exchange's `X-Auto-Response-Suppress`, "Automatic reply:" subject); `a_bounce` a
delivery status report (RFC 3464: `multipart/report; report-type=delivery-status`, from MAILER-DAEMON,
with the human-readable part, the machine-readable status and the returned headers).
"""

from __future__ import annotations

from email import message_from_string
from email.message import EmailMessage
from email.policy import default
from email.utils import formatdate, make_msgid

SHOP = "Sun Shield Austin <hello@sunshield.example.com>"
OUR_MESSAGE_ID = "<touch-1.lead-42@sunshield.example.com>"


def a_reply(text: str, *, sender: str, subject: str = "Re: Your tint quote") -> EmailMessage:
    message = _message(sender, subject)
    message["In-Reply-To"] = OUR_MESSAGE_ID
    message["References"] = OUR_MESSAGE_ID
    message.set_content(f"{text}\n\nOn Mon, Jun 2, 2025 at 10:00 AM Sun Shield Austin wrote:\n> Hi Jane,\n")
    message.add_alternative(
        f'<div dir="ltr">{text}</div><div class="gmail_quote">Hi Jane,</div>', subtype="html"
    )
    return message


def an_out_of_office(text: str, *, sender: str, outlook: bool = True) -> EmailMessage:
    subject = "Automatic reply: Your tint quote" if outlook else "Out of Office"
    message = _message(sender, subject)
    message["In-Reply-To"] = OUR_MESSAGE_ID
    message["Auto-Submitted"] = "auto-replied" if not outlook else "auto-generated"
    if outlook:
        message["X-Auto-Response-Suppress"] = "All"
        message["X-MS-Exchange-Inbox-Rules-Loop"] = sender
    else:
        message["Precedence"] = "bulk"
    message.set_content(text)
    return message


def a_bounce(recipient: str) -> EmailMessage:
    """A delivery status report as Postfix writes one (RFC 3464), parsed from its wire form."""
    raw = f"""\
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: {SHOP}
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
Date: {formatdate(localtime=False)}
Message-ID: {make_msgid(domain="mx.example.com")}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
 boundary="B0UND"

--B0UND
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.com.

I'm sorry to have to inform you that your message could not be delivered to
{recipient}: the mailbox does not exist.

--B0UND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1

--B0UND
Content-Type: text/rfc822-headers

From: {SHOP}
To: {recipient}
Subject: Your tint quote
Message-ID: {OUR_MESSAGE_ID}

--B0UND--
"""
    message = message_from_string(raw, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def _message(sender: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = SHOP
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="mail.example.com")
    return message
