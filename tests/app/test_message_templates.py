"""Message templates: the 13 default touches render, emails carry the compliance footer and one-click
unsubscribe headers, SMS stay within their segment limit, and bad templates are refused when saved."""

from __future__ import annotations

import msgspec
import pytest

from leadorch.app.messages.context import SAMPLE_CONTEXT, MessageContext
from leadorch.app.messages.defaults import DEFAULT_TEMPLATES
from leadorch.app.messages.errors import MessageRenderingError, SmsTooLong, TemplateConfigurationError
from leadorch.app.messages.rendering import OPT_OUT_NOTICE, render_email, render_sms
from leadorch.app.messages.templates import EmailTemplate, SmsTemplate, TouchTemplates
from leadorch.app.messages.validation import validate_template
from leadorch.domain.reply_intent import ReplyIntent, classify_reply
from leadorch.domain.sms_segments import sms_segments

JANE = MessageContext(
    first_name="Jane",
    vehicle="2021 Toyota Camry",
    location_name="Sun Shield Window Tint",
    location_phone="(512) 555-0147",
    location_address="12400 N Lamar Blvd, Austin, TX 78753",
    services=["ceramic window tint"],
    chat_link="https://go.example.com/c/jane-token",
    unsubscribe_link="https://go.example.com/unsubscribe/jane-token",
)
TOUCHES = sorted(DEFAULT_TEMPLATES)


def test_there_are_default_templates_for_all_13_touches() -> None:
    assert sorted(DEFAULT_TEMPLATES) == list(range(1, 14))


@pytest.mark.parametrize("touch", TOUCHES)
def test_every_default_touch_passes_save_time_validation(touch: int) -> None:
    validate_template(DEFAULT_TEMPLATES[touch])


@pytest.mark.parametrize("touch", TOUCHES)
def test_every_default_email_renders_with_the_leads_details(touch: int) -> None:
    email = render_email(DEFAULT_TEMPLATES[touch].email, JANE)

    assert email.subject and "\n" not in email.subject
    assert "Hi Jane," in email.text and "Hi Jane," in email.html
    assert "{{" not in email.text + email.html + email.subject
    assert "Sun Shield Window Tint" in email.text


@pytest.mark.parametrize("touch", TOUCHES)
def test_every_default_sms_renders_within_two_segments_and_is_not_an_opt_in_prompt(touch: int) -> None:
    body = render_sms(DEFAULT_TEMPLATES[touch].sms, JANE, max_segments=2, opt_out_notice=True)

    info = sms_segments(body)
    assert info.encoding == "GSM-7"
    assert 1 <= info.segments <= 2
    assert "Jane" in body
    assert "{{" not in body
    assert classify_reply(body) is not ReplyIntent.OPT_IN


def test_the_first_sms_tells_the_customer_how_to_opt_out() -> None:
    body = render_sms(DEFAULT_TEMPLATES[1].sms, JANE)

    assert body.endswith("Reply STOP to opt out.")


def test_the_opt_out_notice_is_added_once_to_a_leads_first_text() -> None:
    later = render_sms(DEFAULT_TEMPLATES[3].sms, JANE)
    first = render_sms(DEFAULT_TEMPLATES[3].sms, JANE, opt_out_notice=True)
    already_there = render_sms(DEFAULT_TEMPLATES[1].sms, JANE, opt_out_notice=True)

    assert OPT_OUT_NOTICE not in later
    assert first == f"{later} {OPT_OUT_NOTICE}"
    assert already_there.count("STOP") == 1


def test_emails_end_with_the_postal_address_and_unsubscribe_link() -> None:
    email = render_email(DEFAULT_TEMPLATES[2].email, JANE)

    footer = email.text.split("\n--\n")[-1]
    assert "12400 N Lamar Blvd, Austin, TX 78753" in footer
    assert "https://go.example.com/unsubscribe/jane-token" in footer
    assert "12400 N Lamar Blvd, Austin, TX 78753" in email.html
    assert '<a href="https://go.example.com/unsubscribe/jane-token"' in email.html
    assert email.html.index("Unsubscribe") < email.html.index("</body>")


@pytest.mark.parametrize("address", ["", "   "])
def test_no_marketing_email_is_rendered_for_a_location_without_a_postal_address(address: str) -> None:
    with pytest.raises(
        MessageRenderingError, match=r"location_address: .* no postal address, which CAN-SPAM"
    ):
        render_email(DEFAULT_TEMPLATES[2].email, msgspec.structs.replace(JANE, location_address=address))


def test_emails_carry_the_rfc_8058_one_click_unsubscribe_headers() -> None:
    email = render_email(DEFAULT_TEMPLATES[1].email, JANE)

    assert email.headers == {
        "List-Unsubscribe": "<https://go.example.com/unsubscribe/jane-token>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_a_plain_http_unsubscribe_link_gets_no_one_click_header() -> None:
    local = msgspec.structs.replace(JANE, unsubscribe_link="http://127.0.0.1:8000/unsubscribe/t")

    email = render_email(DEFAULT_TEMPLATES[1].email, local)

    assert email.headers == {"List-Unsubscribe": "<http://127.0.0.1:8000/unsubscribe/t>"}


@pytest.mark.parametrize("link", ["", "/unsubscribe/t", "mailto:x@example.com", "https://x.example.com/u t"])
def test_an_unusable_unsubscribe_link_is_refused(link: str) -> None:
    with pytest.raises(MessageRenderingError, match="unsubscribe_link"):
        render_email(DEFAULT_TEMPLATES[1].email, msgspec.structs.replace(JANE, unsubscribe_link=link))


def test_values_are_escaped_in_html_but_not_in_text() -> None:
    tricky = msgspec.structs.replace(JANE, first_name="<b>Al & Bo</b>")

    email = render_email(DEFAULT_TEMPLATES[1].email, tricky)

    assert "Hi &lt;b&gt;Al &amp; Bo&lt;/b&gt;," in email.html
    assert "Hi <b>Al & Bo</b>," in email.text


def test_a_subject_is_always_one_line() -> None:
    template = EmailTemplate(subject="Hello\n{{ first_name }}\r\n", text="t", html="<p>h</p>")

    assert render_email(template, JANE).subject == "Hello Jane"


def test_services_read_as_a_sentence() -> None:
    template = SmsTemplate(body="About {{ services | sentence }}.")
    many = msgspec.structs.replace(JANE, services=["tint", "windshield strip", "PPF"])
    none = msgspec.structs.replace(JANE, services=[])

    assert render_sms(template, many) == "About tint, windshield strip and PPF."
    assert render_sms(DEFAULT_TEMPLATES[5].sms, none).startswith("Still thinking about tint")


def test_an_unknown_field_is_refused_when_saved_naming_it() -> None:
    with pytest.raises(TemplateConfigurationError) as caught:
        validate_template(SmsTemplate(body="Hi {{ firstname }}, book at {{ chat_link }}"))

    error = caught.value
    assert (error.part, error.field) == ("sms.body", "firstname")
    assert "unknown field 'firstname'" in str(error)
    assert "first_name" in str(error)  # the message lists what is available


def test_an_unknown_field_in_an_email_part_names_that_part() -> None:
    template = EmailTemplate(subject="Hi", text="Hello", html="<p>{{ lead.email }}</p>")

    with pytest.raises(TemplateConfigurationError, match=r"^email\.html: unknown field 'lead'"):
        validate_template(TouchTemplates(email=template, sms=SmsTemplate(body="Hi")))


def test_a_syntax_error_is_refused_when_saved() -> None:
    with pytest.raises(TemplateConfigurationError, match=r"email\.subject: syntax error on line 1"):
        validate_template(EmailTemplate(subject="Hi {{ first_name }", text="t", html="h"))


def test_an_unknown_filter_is_refused_when_saved() -> None:
    with pytest.raises(TemplateConfigurationError, match="No filter named 'shout'"):
        validate_template(SmsTemplate(body="{{ first_name | shout }}"))


def test_an_empty_part_is_refused_when_saved() -> None:
    with pytest.raises(TemplateConfigurationError, match=r"email\.text: is empty"):
        validate_template(EmailTemplate(subject="Hi", text="  ", html="<p>Hi</p>"))


def test_a_missing_attribute_is_caught_by_rendering_a_sample_when_saved() -> None:
    with pytest.raises(
        TemplateConfigurationError, match=r"sms\.body: with a sample lead, .*no attribute 'model'"
    ):
        validate_template(SmsTemplate(body="Your {{ vehicle.model }}"))


@pytest.mark.parametrize(
    "body",
    ["{{ first_name.__class__.__mro__ }}", "{{ services.append('x') }}", "{{ cycler.__init__.__globals__ }}"],
)
def test_the_sandbox_blocks_reaching_into_python(body: str) -> None:
    with pytest.raises(TemplateConfigurationError, match=r"sms\.body"):
        validate_template(SmsTemplate(body=body))


def test_an_sms_longer_than_the_segment_limit_is_refused_when_saved() -> None:
    long_body = "Hi {{ first_name }}! " + "Ceramic tint keeps your car cool. " * 8

    with pytest.raises(TemplateConfigurationError, match=r"sms\.body: .*SMS segments .* the limit is 2"):
        validate_template(SmsTemplate(body=long_body))


def test_the_segment_limit_is_configurable() -> None:
    two_segment_default = DEFAULT_TEMPLATES[1].sms

    validate_template(two_segment_default, max_sms_segments=2)
    with pytest.raises(TemplateConfigurationError, match="the limit is 1"):
        validate_template(two_segment_default, max_sms_segments=1)


def test_an_emoji_is_explained_when_it_pushes_an_sms_over_the_limit() -> None:
    body = "Hi {{ first_name }} 😀 " + "your tint is ready " * 4

    with pytest.raises(TemplateConfigurationError, match=r"UCS-2.*emoji"):
        validate_template(SmsTemplate(body=body), max_sms_segments=1)


def test_the_tenants_own_location_can_be_the_validation_sample() -> None:
    body = SmsTemplate(body="Hi {{ first_name }}, {{ location_name }} here: {{ chat_link }}")
    wordy = msgspec.structs.replace(SAMPLE_CONTEXT, location_name="Window Tint " * 12)

    validate_template(body, max_sms_segments=1)
    with pytest.raises(TemplateConfigurationError):
        validate_template(body, sample=wordy, max_sms_segments=1)


def test_rendering_refuses_an_sms_over_the_limit() -> None:
    with pytest.raises(SmsTooLong) as caught:
        render_sms(SmsTemplate(body="x" * 200), JANE, max_segments=1)

    assert (caught.value.segments, caught.value.limit) == (2, 1)
