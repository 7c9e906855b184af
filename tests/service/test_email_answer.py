"""The assistant's emailed answer joins the customer's mail thread and offers each time as a chat link."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadorch.app.config.models import LocationConfig
from leadorch.app.conversations.email_answer import email_answer, reply_subject, thread_headers
from leadorch.app.leads.inbound import email_thread
from leadorch.app.links import LinkSigner
from leadorch.app.senders import Senders
from leadorch.domain.conversation import MAX_THREAD_REFERENCES, EmailThread
from leadorch.ports.messaging import EmailMessage
from tests.support.leads import a_lead

NOW = datetime(2026, 3, 3, 17, 0, tzinfo=UTC)
LINKS = LinkSigner(secret_key="k" * 40, public_base_url="https://leads.example.com/")
SENDERS = Senders(sms_from_number=None, messaging_service_sid=None, email_from="hello@sunshield.example.com")
SLOTS = [
    {"start": "2026-03-07T17:00:00+00:00", "label": "Sat Mar 7, 9:00 AM PST"},
    {"start": "2026-03-07T19:30:00+00:00", "label": "Sat Mar 7, 11:30 AM PST"},
]
THEIRS = EmailThread.of(
    "<reply-2@mail.example.com>", ["<touch-1@sendgrid.net>", "<answer-1@sendgrid.net>"], "Re: Your tint quote"
)


def a_location(address: str | None = "12 Harbor Dr, San Diego, CA 92101") -> LocationConfig:
    return LocationConfig(
        tenant_id="tint-co",
        location_id="san-diego",
        name="Sun Shield <San Diego>",
        crm_location_id="loc-sd",
        time_zone="America/Los_Angeles",
        address=address,
    )


def an_answer(text: str = "We have Saturday morning open.", **changes: object) -> EmailMessage:
    fields: dict[str, object] = {
        "tenant_id": "tint-co",
        "lead": a_lead().registered(),
        "location": a_location(),
        "senders": SENDERS,
        "thread": THEIRS,
        "text": text,
        "slots": SLOTS,
        "links": LINKS,
        "now": NOW,
        "idempotency_key": "answer:1",
    }
    fields.update(changes)
    return email_answer(**fields)  # type: ignore[arg-type]


def test_the_answer_replies_to_their_message_and_carries_the_whole_thread() -> None:
    answer = an_answer()

    assert answer.headers == {
        "In-Reply-To": "<reply-2@mail.example.com>",
        "References": "<touch-1@sendgrid.net> <answer-1@sendgrid.net> <reply-2@mail.example.com>",
    }
    assert answer.subject == "Re: Your tint quote"


@pytest.mark.parametrize(
    ("theirs", "ours"),
    [
        ("Your tint quote", "Re: Your tint quote"),
        ("Re: Your tint quote", "Re: Your tint quote"),
        ("RE: re:  Your tint quote", "Re: Your tint quote"),
        ("Aw: Re[2]: Your tint quote", "Re: Your tint quote"),
        ("Regarding the tint", "Re: Regarding the tint"),
        ("", "Re: your quote at Sun Shield"),
        ("Re:", "Re: your quote at Sun Shield"),
    ],
)
def test_the_subject_gets_one_re(theirs: str, ours: str) -> None:
    assert reply_subject(theirs, "Sun Shield") == ours


def test_a_thread_whose_references_already_name_the_message_does_not_repeat_it() -> None:
    thread = EmailThread.of("<b@x>", ["<a@x>", "<b@x>"])

    assert thread_headers(thread)["References"] == "<a@x> <b@x>"


def test_a_long_thread_keeps_the_root_and_the_newest_ids() -> None:
    thread = EmailThread.of("<new@x>", [f"<m{n}@x>" for n in range(30)])

    chain = thread_headers(thread)["References"].split()

    assert len(chain) == MAX_THREAD_REFERENCES
    assert (chain[0], chain[-2], chain[-1]) == ("<m0@x>", "<m29@x>", "<new@x>")


def test_a_thread_of_long_ids_stays_within_one_header_line_keeping_the_root_and_the_newest() -> None:
    ids = [f"<{'x' * 80}.{n}@mail.example.com>" for n in range(19)]
    thread = EmailThread.of("<new@x>", ids)

    references = thread_headers(thread)["References"]

    assert len("References: " + references) <= 998
    assert references.split()[0] == ids[0] and references.split()[-2:] == [ids[-1], "<new@x>"]


def test_without_a_thread_there_are_no_threading_headers() -> None:
    answer = an_answer(thread=None)

    assert answer.headers == {}
    assert answer.subject == "Re: your quote at Sun Shield <San Diego>"


def test_it_comes_from_the_locations_sender_to_the_lead_with_no_reply_to() -> None:
    answer = an_answer()

    assert (answer.from_email, answer.from_name) == ("hello@sunshield.example.com", "Sun Shield <San Diego>")
    assert (answer.to, answer.to_name, answer.reply_to) == ("maria@example.com", "Maria Lopez", None)
    assert answer.custom_args == {
        "tenant_id": "tint-co",
        "lead_id": str(a_lead().registered().id),
        "kind": "assistant_answer",
    }


def test_every_offered_time_is_a_link_into_the_leads_chat_in_both_parts() -> None:
    answer = an_answer()
    lead = a_lead().registered()
    chat = LINKS.chat_url("tint-co", str(lead.id), now=NOW)

    assert LINKS.verify_chat_token(chat.rsplit("/", 1)[1], NOW) == ("tint-co", str(lead.id))
    for slot in SLOTS:
        assert f"- {slot['label']}" in answer.text
        assert f'<li><a href="{chat}">{slot["label"]}</a></li>' in answer.html
    assert chat in answer.text


def test_times_the_assistant_named_are_linked_where_they_stand_and_not_listed_twice() -> None:
    text = f"Here are the openings:\n- {SLOTS[0]['label']}\n- {SLOTS[1]['label']}\nWhich one would you like?"
    answer = an_answer(text)
    chat = LINKS.chat_url("tint-co", str(a_lead().registered().id), now=NOW)

    assert answer.text.count(SLOTS[0]["label"]) == 1 and answer.text.count(SLOTS[1]["label"]) == 1
    assert f'<br>- <a href="{chat}">{SLOTS[0]["label"]}</a><br>' in answer.html
    assert answer.html.count(SLOTS[1]["label"]) == 1 and "<ul>" not in answer.html


def test_a_time_the_words_do_not_name_follows_them_as_a_link() -> None:
    slots = [{"start": "a", "label": "Fri 1:00 PM"}, {"start": "b", "label": "Fri 11:00 PM"}]
    answer = an_answer("Open: Fri 11:00 PM", slots=slots)

    assert answer.html.count("<a ") == 2  # 11:00 PM where it stands, 1:00 PM in the list after
    assert answer.text.count("- Fri 1:00 PM") == 1 and "- Fri 11:00 PM" not in answer.text
    assert ">Fri 11:00 PM</a>" in answer.html and "<li><a" in answer.html


def test_the_html_part_escapes_what_the_assistant_wrote() -> None:
    answer = an_answer("Tint <b>&</b> more\nsecond line\n\nnew paragraph")

    assert answer.html.startswith(
        "<p>Tint &lt;b&gt;&amp;&lt;/b&gt; more<br>second line</p><p>new paragraph</p>"
    )
    assert "Sun Shield &lt;San Diego&gt;" in answer.html
    assert answer.text.startswith("Tint <b>&</b> more\nsecond line")


def test_an_answer_is_not_marketing_it_names_the_shop_and_address_but_has_no_unsubscribe() -> None:
    answer = an_answer(slots=[])

    assert "12 Harbor Dr, San Diego, CA 92101" in answer.text
    assert "12 Harbor Dr, San Diego, CA 92101" in answer.html
    assert "unsubscribe" not in (answer.text + answer.html).lower()
    assert "List-Unsubscribe" not in answer.headers
    assert "/chat/" not in answer.text


def test_a_location_without_an_address_still_answers() -> None:
    answer = an_answer(location=a_location(address=None), slots=[])

    assert answer.text == "We have Saturday morning open."


def test_a_received_email_without_a_message_id_is_answered_by_its_references_and_subject() -> None:
    thread = email_thread(None, ["<a@x>"], "Re: quote")

    assert thread == EmailThread("", ("<a@x>",), "Re: quote")
    assert thread_headers(thread) == {"References": "<a@x>"}
    assert thread_headers(email_thread("not an id", [], "quote")) == {}


def test_a_malformed_reference_is_left_out_and_the_thread_kept() -> None:
    thread = email_thread("<b@x>", ["<a@x>", "not an id"], "Re: quote")

    assert thread == EmailThread("<b@x>", ("<a@x>",), "Re: quote")
