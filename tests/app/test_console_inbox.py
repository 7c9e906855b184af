"""The staff inbox: conversations needing attention first, a thread of every channel, and the reply box.

Through the real console endpoints (logged in with the tenant's token, CSRF as a browser sends it) on
real PostgreSQL, with the production Twilio and SendGrid adapters talking to their stand-ins: a reply
reaches the customer's phone or mailbox once, however often the form is sent, recorded with the staff
member's name; a reply that may not go is refused with the reason (4xx), and nothing is sent.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from litestar.testing import TestClient
from tests.app.test_console_world import log_in
from tests.support.services import create_database, drop_database
from tests.support.touch_world import Providers, TouchWorld, start_providers, world_on

from leadorch.app.audit import lead_history, render_text
from leadorch.app.chat.history import transcript
from leadorch.app.http.app import create_app
from leadorch.app.http.webhooks_sendgrid import inbound_parse_url
from leadorch.app.leads import use_cases
from leadorch.app.leads.staff_reply import reply_as_staff
from leadorch.app.readmodels.conversations import conversation as conversation_view
from leadorch.app.readmodels.conversations import inbox
from leadorch.domain.conversation import Conversation, conversation_id
from leadorch.domain.lead import Lead


@pytest.fixture(scope="module")
def pg_database(pg_admin_url: str) -> Iterator[str]:
    url = create_database(pg_admin_url)
    try:
        yield url
    finally:
        drop_database(pg_admin_url, url)


@pytest.fixture(scope="module")
def providers() -> Iterator[Providers]:
    running = start_providers()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def world(pg_database: str, providers: Providers) -> Iterator[TouchWorld]:
    with world_on(pg_database, providers) as built:
        yield built


@pytest.fixture(scope="module")
def app_client() -> Iterator[TestClient[Any]]:
    # https: the console's cookies are Secure behind the world's https public URL.
    with TestClient(create_app(None), base_url="https://testserver.local") as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture
def client(world: TouchWorld, app_client: TestClient[Any]) -> TestClient[Any]:
    app_client.app.state["container"] = world.container
    app_client.cookies.clear()
    log_in(app_client, world.api_token, name="Ana")
    return app_client


def texted(world: TouchWorld, words: str, **lead: Any) -> str:
    """A lead whose customer answered touch 1 by text with `words`; its id."""
    lead_id, schedule_id = world.new_lead(**lead)
    world.dispatch(schedule_id)
    use_cases.record_reply(world.container, world.tenant_id, lead_id, "sms", words)
    world.catch_up()
    return lead_id


def form_of(html: str) -> dict[str, str]:
    """The reply form's hidden fields (CSRF token and the reply's key)."""
    fields = dict(re.findall(r'name="(csrf|key)" value="([^"]+)"', html))
    assert set(fields) == {"csrf", "key"}, "the page has no reply form"
    return fields


def thread(world: TouchWorld, lead_id: str) -> str:
    return f"/console/t/{world.tenant_id}/inbox/{lead_id}"


def send(
    client: TestClient[Any], world: TouchWorld, lead_id: str, text: str, form: dict[str, str] | None = None
):
    form = form or form_of(client.get(thread(world, lead_id)).text)
    return client.post(f"{thread(world, lead_id)}/reply", data={**form, "text": text})


def staff_lines(world: TouchWorld, lead_id: str) -> list[tuple[str, str, str]]:
    conversation = world.container.store.load(conversation_id(lead_id), Conversation, world.tenant_id)
    return [(e.staff, e.channel, e.text) for e in conversation.entries if type(e).__name__ == "StaffLine"]


# -- the list ---------------------------------------------------------------------------------------------


def test_unanswered_conversations_come_first_then_handed_off_then_the_newest(
    world: TouchWorld, client: TestClient[Any]
) -> None:
    answered = texted(world, "Thanks, that's all", phone="+15125550201")
    world.clock.advance(timedelta(minutes=1))
    send(client, world, answered, "Glad to help!")
    world.clock.advance(timedelta(minutes=1))
    handed = texted(world, "Is this a bot?", phone="+15125550202")
    store = world.container.store
    conversation = Conversation.open(
        tenant_id=world.tenant_id, lead_id=handed, location_id="austin", at=world.clock.now()
    )
    conversation.receive_customer_message(text="I want to talk to a person", at=world.clock.now())
    conversation.record_reply(text="I'll ask the team.", slots=[], appointment=None, at=world.clock.now())
    conversation.hand_to_human(question="wants a person", at=world.clock.now())
    store.save(conversation)
    world.clock.advance(timedelta(minutes=1))
    older_waiting = texted(world, "How much for a Civic?", phone="+15125550203")
    world.clock.advance(timedelta(minutes=1))
    newer_waiting = texted(world, "Can you call me?", phone="+15125550204")
    silent, _ = world.new_lead(phone="+15125550205")
    world.catch_up()

    listed = inbox(world.container.db, world.tenant_id)

    assert [(item.lead_id, item.attention) for item in listed] == [
        (newer_waiting, "unanswered"),
        (older_waiting, "unanswered"),
        (handed, "handed_off"),
        (answered, "answered"),
    ]
    page = client.get(f"/console/t/{world.tenant_id}/inbox").text
    shown = re.findall(r'data-lead="([^"]+)" data-attention="(\w+)"', page)
    assert shown == [(item.lead_id, item.attention) for item in listed]
    assert silent not in page
    assert "Can you call me?" in page and "waiting for an answer" in page


def test_a_taken_over_customer_who_writes_again_waits_for_staff_even_after_the_chats_automatic_note(
    world: TouchWorld, client: TestClient[Any]
) -> None:
    lead_id = texted(world, "Hi")
    send(client, world, lead_id, "Hello, Ana here.")
    use_cases.pause(world.container, world.tenant_id, lead_id, by="Ana")
    conversation = world.container.store.load(conversation_id(lead_id), Conversation, world.tenant_id)
    world.clock.advance(timedelta(minutes=2))
    conversation.receive_customer_message(text="Are you there?", at=world.clock.now())
    conversation.record_reply(text="The team will reply.", slots=[], appointment=None, at=world.clock.now())
    world.container.store.save(conversation)
    world.catch_up()

    [item] = inbox(world.container.db, world.tenant_id)

    assert item.attention == "unanswered" and item.automation_paused


# -- the reply --------------------------------------------------------------------------------------------


def test_a_reply_reaches_the_customers_phone_once_recorded_with_the_staff_members_name(
    world: TouchWorld, client: TestClient[Any]
) -> None:
    lead_id = texted(world, "Hi, can you call me? I'd rather talk to someone")
    page = client.get(thread(world, lead_id))
    assert page.status_code == 200
    assert "Reply by text" in page.text and "can you call me?" in page.text
    form = form_of(page.text)
    before = len(world.texts_to(world.phone))

    sent = send(client, world, lead_id, "Hi Jane, Ana from Sun Shield. I'll call you at 2pm.", form)
    again = send(client, world, lead_id, "Hi Jane, Ana from Sun Shield. I'll call you at 2pm.", form)

    assert sent.status_code == 200 and "Reply sent by text." in sent.text
    assert again.status_code == 200 and "already sent: it was not sent again" in again.text
    texts = world.texts_to(world.phone)[before:]
    assert [sms.body for sms in texts] == ["Hi Jane, Ana from Sun Shield. I'll call you at 2pm."]
    assert texts[0].from_number == "+15125550100"
    assert staff_lines(world, lead_id) == [
        ("Ana", "sms", "Hi Jane, Ana from Sun Shield. I'll call you at 2pm.")
    ]
    conversation = world.container.store.load(conversation_id(lead_id), Conversation, world.tenant_id)
    assert list(conversation.staff_replies.values()) == ["sent"]
    shown = client.get(thread(world, lead_id)).text
    assert "Ana (staff) · text" in shown and '· <span class="reply-state">sent</span>' in shown


def test_an_emailed_reply_is_answered_by_email(world: TouchWorld, client: TestClient[Any]) -> None:
    lead_id, schedule_id = world.new_lead()
    world.dispatch(schedule_id)
    use_cases.record_reply(world.container, world.tenant_id, lead_id, "email", "What colours do you have?")
    world.catch_up()
    before = len(world.emails_to(world.email))

    answer = send(client, world, lead_id, "We have five shades.\nCome by and see them!")

    assert "Reply sent by email." in answer.text
    [mail] = world.emails_to(world.email)[before:]
    assert (
        mail.text
        == "We have five shades.\nCome by and see them!\n\n--\nSun Shield Austin\n12400 N Lamar Blvd, Austin, TX 78753\n"
    )
    assert mail.subject == "Re: your quote at Sun Shield Austin"
    assert staff_lines(world, lead_id) == [("Ana", "email", "We have five shades.\nCome by and see them!")]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("   ", "A reply must contain some text. The reply was not sent."),
        ("a" * 307, "A text may be at most 2 SMS segments"),
    ],
)
def test_an_empty_or_too_long_reply_is_refused_and_the_text_kept(
    world: TouchWorld, client: TestClient[Any], text: str, reason: str
) -> None:
    lead_id = texted(world, "Hello?")
    before = len(world.texts_to(world.phone))

    answer = send(client, world, lead_id, text)

    assert answer.status_code == 422
    error = re.search(r'id="reply-error">([^<]*)<', answer.text)
    assert error is not None and reason in error.group(1), answer.text[-3000:]
    assert world.texts_to(world.phone)[before:] == []
    if text.strip():
        assert text in answer.text  # the box keeps what was typed


def test_a_customer_who_never_wrote_cannot_be_answered(world: TouchWorld, client: TestClient[Any]) -> None:
    lead_id, schedule_id = world.new_lead()
    world.dispatch(schedule_id)
    world.catch_up()
    page = client.get(thread(world, lead_id)).text
    assert "The customer has not written yet" in page and 'id="send-reply"' not in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None

    answer = client.post(
        f"{thread(world, lead_id)}/reply", data={"csrf": csrf.group(1), "key": uuid4().hex, "text": "Hi!"}
    )

    assert answer.status_code == 409 and "has not written yet" in answer.text


def test_a_late_answer_at_night_keeps_quiet_hours_and_says_when_it_could_go(
    world: TouchWorld, client: TestClient[Any]
) -> None:
    lead_id = texted(world, "Do you do windshields?")  # Monday 10:00 in Austin
    form = form_of(client.get(thread(world, lead_id)).text)
    world.clock.advance(timedelta(hours=12))  # 22:00: past the shop's 20:00 and the customer's 21:00
    before = len(world.texts_to(world.phone))

    answer = send(client, world, lead_id, "Yes we do!", form)

    assert answer.status_code == 409
    assert "Quiet hours: the customer last wrote more than 15 minutes ago" in answer.text
    assert "it could go from 2025-06-03 09:00 CDT" in answer.text
    assert world.texts_to(world.phone)[before:] == []


def test_a_reply_within_15_minutes_of_the_customers_message_goes_at_night(
    world: TouchWorld, client: TestClient[Any]
) -> None:
    world.clock.advance(timedelta(hours=12))  # 22:00 in Austin
    lead_id = texted(world, "Still open?")
    world.clock.advance(timedelta(minutes=10))

    answer = send(client, world, lead_id, "Closed now, open at 9 tomorrow.")

    assert "Reply sent by text." in answer.text
    assert world.texts_to(world.phone)[-1].body == "Closed now, open at 9 tomorrow."


def staff_replied(world: TouchWorld, lead_id: str) -> list[Any]:
    events = world.container.store.events.get(conversation_id(UUID(lead_id)))
    return [event for event in events if isinstance(event, Conversation.StaffReplied)]


def test_a_staff_reply_records_what_allowed_it_live_at_night_and_inside_both_windows_the_next_morning(
    world: TouchWorld, client: TestClient[Any]
) -> None:
    world.clock.advance(timedelta(hours=12))  # 22:00 in Austin
    lead_id = texted(world, "Still open?")
    world.clock.advance(timedelta(minutes=10))
    send(client, world, lead_id, "Closed now, open at 9 tomorrow.")
    world.clock.advance(timedelta(hours=11))  # 09:10 the next morning
    send(client, world, lead_id, "Good morning! Still want to come in today?")

    night, morning = (event.allowed_by for event in staff_replied(world, lead_id))

    assert night["message"]["label"] == "a staff reply" and night["message"]["solicitation"] is False
    assert night["message"]["quiet_hours"] == "not held"
    assert "wrote 10 min before, within the live conversation's 15 minutes" in night["message"]["why"]
    assert night["location_window"]["zone"] == "America/Chicago"
    assert night["consent"]["relied_on"] == "the customer's own message"
    assert morning["message"]["quiet_hours"] == "applied"
    audit = render_text(lead_history(world.container.store, lead_id, full=True))
    [line] = [row for row in audit.splitlines() if "StaffReplied" in row and "Closed now" in row]
    assert "allowed: rules " in line and "a staff reply: it answers the customer's own message" in line


def test_a_staff_reply_keeps_the_tenants_live_conversation_minutes(
    world: TouchWorld, client: TestClient[Any]
) -> None:
    world.container.config.update_tenant(world.tenant_id, live_conversation_minutes=30, actor="test")
    world.clock.advance(timedelta(hours=12))  # 22:00 in Austin
    lead_id = texted(world, "Still open?")
    world.clock.advance(timedelta(minutes=25))  # later than 15 minutes, within the tenant's 30

    answer = send(client, world, lead_id, "Closed now, open at 9 tomorrow.")

    assert "Reply sent by text." in answer.text
    [claim] = staff_replied(world, lead_id)
    assert "within the live conversation's 30 minutes" in claim.allowed_by["message"]["why"]


def test_an_opted_out_customer_is_not_texted(world: TouchWorld, client: TestClient[Any]) -> None:
    lead_id = texted(world, "Who is this?")
    form = form_of(client.get(thread(world, lead_id)).text)
    use_cases.opt_out(world.container, world.tenant_id, lead_id, "sms", "STOP")
    world.catch_up()

    answer = send(client, world, lead_id, "Sorry to bother you.", form)

    assert answer.status_code == 409 and "opted out of sms" in answer.text


def test_an_unknown_lead_another_tenants_lead_and_a_forged_form_are_refused(
    world: TouchWorld, client: TestClient[Any], pg_database: str, providers: Providers
) -> None:
    lead_id = texted(world, "Hi")
    form = form_of(client.get(thread(world, lead_id)).text)
    unknown = str(uuid4())

    assert client.get(thread(world, unknown)).status_code == 404
    assert client.get(thread(world, "not-a-lead")).status_code == 404
    assert client.post(f"{thread(world, unknown)}/reply", data={**form, "text": "Hi"}).status_code == 404
    assert (
        client.post(f"{thread(world, lead_id)}/reply", data={"key": form["key"], "text": "Hi"}).status_code
        == 403
    )
    assert (
        client.post(f"{thread(world, lead_id)}/reply", data={**form, "key": "x", "text": "Hi"}).status_code
        == 422
    )
    other_tenant = f"/console/t/other-{uuid4().hex[:6]}/inbox/{lead_id}"
    assert client.get(other_tenant).status_code == 404
    with world_on(pg_database, providers) as other:
        theirs = texted(other, "Hello from another shop", phone="+15125550299")
        assert client.get(thread(world, theirs)).status_code == 404
        answer = client.post(f"{thread(world, theirs)}/reply", data={**form, "text": "Hi"})
        assert answer.status_code == 404
        assert "Hi" not in [sms.body for sms in other.texts_to("+15125550299")]


# -- take over and hand back ------------------------------------------------------------------------------


def test_take_over_pauses_the_automation_in_the_staff_members_name_and_hand_back_resumes_it(
    world: TouchWorld, client: TestClient[Any]
) -> None:
    lead_id = texted(world, "I'd rather talk to someone")
    page = client.get(thread(world, lead_id)).text
    csrf = dict(re.findall(r'name="(csrf)" value="([^"]+)"', page))

    taken = client.post(f"{thread(world, lead_id)}/take-over", data=csrf)

    assert taken.status_code == 200 and "Taken over by Ana" in taken.text
    assert 'id="hand-back"' in taken.text and "taken over by Ana" in taken.text
    lead = world.container.store.load(UUID(lead_id), Lead, world.tenant_id)
    assert lead.automation_paused and lead.paused_by == "Ana"

    handed = client.post(f"{thread(world, lead_id)}/hand-back", data=csrf)

    assert "Handed back" in handed.text and 'id="take-over"' in handed.text
    assert not world.container.store.load(UUID(lead_id), Lead, world.tenant_id).automation_paused
    twice = client.post(f"{thread(world, lead_id)}/hand-back", data=csrf)
    assert twice.status_code == 200 and "it is not paused" in twice.text
    assert client.post(f"{thread(world, lead_id)}/take-over", data={}).status_code == 403


def test_a_customer_who_wrote_in_the_web_chat_is_answered_in_the_chat_and_nothing_is_sent(
    world: TouchWorld, client: TestClient[Any]
) -> None:
    lead_id, schedule_id = world.new_lead()
    world.dispatch(schedule_id)
    conversation = Conversation.open(
        tenant_id=world.tenant_id, lead_id=lead_id, location_id="austin", at=world.clock.now()
    )
    conversation.receive_customer_message(text="Is anyone there?", at=world.clock.now())
    world.container.store.save(conversation)
    world.catch_up()
    before = (len(world.texts_to(world.phone)), len(world.emails_to(world.email)))

    answer = send(client, world, lead_id, "Yes! Ana here.")

    assert "Reply sent in the web chat." in answer.text
    assert (len(world.texts_to(world.phone)), len(world.emails_to(world.email))) == before
    assert staff_lines(world, lead_id) == [("Ana", "chat", "Yes! Ana here.")]
    saved = world.container.store.load(conversation_id(lead_id), Conversation, world.tenant_id)
    assert transcript(saved)[-1] == {
        "role": "assistant",
        "text": "Yes! Ana here.",
        "at": saved.entries[-1].at,
        "by": "Ana",
    }


def test_two_submits_of_the_same_form_at_the_same_moment_send_once(world: TouchWorld) -> None:
    lead_id = texted(world, "Anyone?")  # no conversation yet: both submits race to open it too
    before = len(world.texts_to(world.phone))
    start = threading.Barrier(2)

    def submit() -> str:
        start.wait()
        outcome = reply_as_staff(
            world.container, world.tenant_id, lead_id, key="same-form-key", text="Yes, Ana here.", staff="Ana"
        )
        return outcome.status

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(lambda _: submit(), range(2)))

    assert statuses == ["duplicate", "sent"]
    assert [sms.body for sms in world.texts_to(world.phone)[before:]] == ["Yes, Ana here."]
    assert staff_lines(world, lead_id) == [("Ana", "sms", "Yes, Ana here.")]


def test_a_reply_the_provider_refuses_is_recorded_failed_and_the_page_says_why(
    world: TouchWorld, client: TestClient[Any]
) -> None:
    lead_id = texted(world, "Hello")
    world.providers.twilio.reject_recipient(world.phone, code=21211)

    answer = send(client, world, lead_id, "Hi there")

    assert answer.status_code == 200
    error = re.search(r'class="flash flash-error"[^>]*>([^<]*)<', answer.text)
    assert error is not None and error.group(1).startswith("The reply was not sent:")
    conversation = world.container.store.load(conversation_id(lead_id), Conversation, world.tenant_id)
    assert list(conversation.staff_replies.values()) == ["failed"]
    assert 'reply-state">failed:' in answer.text


def test_the_hand_off_alerts_short_link_opens_the_thread_of_a_lead_this_login_may_see(
    world: TouchWorld, client: TestClient[Any], pg_database: str, providers: Providers
) -> None:
    lead_id = texted(world, "Hi")

    found = client.get(f"/console/inbox/{lead_id}", follow_redirects=False)

    assert found.status_code == 303 and found.headers["location"] == thread(world, lead_id)
    assert client.get(f"/console/inbox/{uuid4()}", follow_redirects=False).status_code == 404
    with world_on(pg_database, providers) as other:
        theirs = texted(other, "Hello", phone="+15125550298")
        assert client.get(f"/console/inbox/{theirs}", follow_redirects=False).status_code == 404


def test_at_one_instant_the_customers_text_reads_before_the_answer_to_it(world: TouchWorld) -> None:
    lead_id = texted(world, "How much?")  # the lead's line; the clock does not move before the answer
    conversation = Conversation.open(
        tenant_id=world.tenant_id, lead_id=lead_id, location_id="austin", at=world.clock.now()
    )
    conversation.record_reply(text="$450.", slots=[], appointment=None, at=world.clock.now())
    world.container.store.save(conversation)
    world.catch_up()

    talk = conversation_view(world.container.db, world.tenant_id, lead_id)

    assert talk is not None and [m.author for m in talk.messages] == ["customer", "assistant"]


def test_an_emailed_reply_from_staff_joins_the_customers_mail_thread(
    world: TouchWorld, client: TestClient[Any]
) -> None:
    lead_id, schedule_id = world.new_lead()
    world.dispatch(schedule_id)
    world.catch_up()  # emailed replies are matched to leads by address in the leads read model
    mail = {
        "from": f"Jane Doe <{world.email}>",
        "to": "hello@sunshield.example.com",
        "subject": "RE: Your tint quote",
        "text": "Can someone call me about the windshield?",
        "headers": "Message-ID: <m2@mail.example.com>\nReferences: <t1@sunshield.example.com>\n",
        "envelope": json.dumps({"to": ["hello@sunshield.example.com"], "from": world.email}),
    }
    path = inbound_parse_url(world.container).split("/webhooks/", 1)[1]
    posted = client.post(f"/webhooks/{path}", files={k: (None, v) for k, v in mail.items()})
    assert posted.status_code == 200, posted.text
    world.catch_up()

    answer = send(client, world, lead_id, "Hi Jane, Ana here: I'll call you this afternoon.")

    assert "Reply sent by email." in answer.text
    sent = world.emails_to(world.email)[-1]
    assert sent.subject == "Re: Your tint quote"
    assert sent.headers["In-Reply-To"] == "<m2@mail.example.com>"
    assert sent.headers["References"] == "<t1@sunshield.example.com> <m2@mail.example.com>"
    assert sent.text is not None and sent.text.startswith("Hi Jane, Ana here: I'll call you this afternoon.")
    assert "12400 N Lamar Blvd" in sent.text  # who wrote: the shop's name and postal address
