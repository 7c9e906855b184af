"""The default messages of a window-tint shop, one email and one SMS for each of the 13 touches.

They follow the default cadence (day 0 to day 30): answer fast and offer the chat link, then help the
customer decide (film types, legal shades, what tint day is like), then offer a time, and finally close
the request politely. Every touch has both channels so a tenant's own plan can use either; the default
plan sends email on even touches, SMS on odd ones, and both on the first and the last.

SMS texts stay within GSM-7 (straight quotes, no emoji or dashes) so each costs at most two segments,
and none asks the customer to reply YES, which carriers treat as an opt-in keyword.
"""

from __future__ import annotations

from leadorch.app.messages.templates import EmailTemplate, SmsTemplate, TouchTemplates

SERVICES = '{{ services | sentence or "window tint" }}'

_HTML_HEAD = (
    '<!doctype html><html><body style="margin:0;padding:24px;font-family:Helvetica,Arial,sans-serif;'
    'font-size:16px;line-height:1.5;color:#111827">'
)
_BUTTON = (
    "display:inline-block;padding:12px 20px;border-radius:6px;background:#111827;color:#ffffff;"
    "text-decoration:none;font-weight:bold"
)


def _touch(subject: str, paragraphs: list[str], call_to_action: str, sms: str) -> TouchTemplates:
    """An email (plain text and HTML from the same paragraphs) and an SMS."""
    for paragraph in [subject, call_to_action, *paragraphs]:
        # Literal text goes into HTML unescaped; only template values are escaped.
        if any(ch in paragraph.replace("{{", "").replace("}}", "") for ch in "<>&"):
            raise ValueError(f"default template text must not contain <, > or &: {paragraph!r}")
    text = "\n\n".join(
        [
            "Hi {{ first_name }},",
            *paragraphs,
            f"{call_to_action}: {{{{ chat_link }}}}",
            "{{ location_name }}\n{{ location_phone }}",
        ]
    )
    html = "".join(
        [
            _HTML_HEAD,
            "<p>Hi {{ first_name }},</p>",
            *(f"<p>{paragraph}</p>" for paragraph in paragraphs),
            f'<p><a href="{{{{ chat_link }}}}" style="{_BUTTON}">{call_to_action}</a></p>',
            "<p>{{ location_name }}<br>{{ location_phone }}</p>",
            "</body></html>",
        ]
    )
    return TouchTemplates(
        email=EmailTemplate(subject=subject, text=text, html=html), sms=SmsTemplate(body=sms)
    )


DEFAULT_TEMPLATES: dict[int, TouchTemplates] = {
    1: _touch(
        "Your tint quote for the {{ vehicle }}",
        [
            f"Thanks for asking {{{{ location_name }}}} about {SERVICES} for your {{{{ vehicle }}}}.",
            "You can get your exact price and pick an open appointment right now in a quick chat, "
            "no phone tag needed.",
        ],
        "Get your price and pick a time",
        "Hi {{ first_name }}, it's {{ location_name }}. Thanks for your tint quote request for the "
        "{{ vehicle }}! Get your price and book here: {{ chat_link }} Reply STOP to opt out.",
    ),
    2: _touch(
        "Carbon or ceramic tint for your {{ vehicle }}?",
        [
            "A quick guide while you decide: carbon film looks sharp and blocks UV. Ceramic film adds much "
            "stronger heat rejection without interfering with phone or GPS signals, which is why most of "
            "our customers choose it.",
            "Not sure which fits your {{ vehicle }} and budget? Ask us in the chat and we will give you a "
            "straight answer with prices for both.",
        ],
        "Compare prices",
        "Hi {{ first_name }}, any questions about tint for your {{ vehicle }}? Ask here and we'll answer "
        "right away: {{ chat_link }}",
    ),
    3: _touch(
        "Tint done in an afternoon",
        [
            "Most tint jobs at {{ location_name }} are finished the same day, so you can drop off your "
            "{{ vehicle }} in the morning and drive it home that afternoon.",
            "Pick the day that suits you and we will have everything ready.",
        ],
        "Choose a day",
        "{{ first_name }}, most tint jobs at {{ location_name }} are done the same day. Want to grab a time "
        "this week? {{ chat_link }}",
    ),
    4: _touch(
        "How dark can you go?",
        [
            "Every state sets its own limits for how dark front side windows can be. We know the rules here "
            "and will help you choose a shade for your {{ vehicle }} that looks great and keeps you legal.",
            "Tell us the look you want in the chat and we will suggest the right film.",
        ],
        "Ask about shades",
        "Hi {{ first_name }}, wondering how dark you can legally go on your {{ vehicle }}? We'll help you "
        "pick the right shade: {{ chat_link }}",
    ),
    5: _touch(
        "Still thinking it over, {{ first_name }}?",
        [
            f"Just checking in about {SERVICES} for your {{{{ vehicle }}}}.",
            "If you have a question, the chat is the fastest way to reach us. If you are ready, you can "
            "book there in about a minute.",
        ],
        "Ask or book",
        "Still thinking about tint for your {{ vehicle }}, {{ first_name }}? Ask us anything or book in a "
        "minute: {{ chat_link }}",
    ),
    6: _touch(
        "A cooler, better protected {{ vehicle }}",
        [
            "Quality window film blocks nearly all UV rays, which protects your skin and keeps your "
            "dashboard and seats from fading and cracking. Ceramic film also keeps the cabin noticeably "
            "cooler on sunny days.",
            "We would be glad to show you the difference on your {{ vehicle }}.",
        ],
        "Get your price",
        "{{ first_name }}, tint blocks nearly all UV and keeps your {{ vehicle }} cooler. Get your price "
        "from {{ location_name }}: {{ chat_link }}",
    ),
    7: _touch(
        "Openings coming up at {{ location_name }}",
        [
            "We have appointments opening up over the next couple of weeks.",
            "Want us to find one for your {{ vehicle }}? Pick a time in the chat and it is yours.",
        ],
        "See open times",
        "Hi {{ first_name }}, {{ location_name }} here. We have openings coming up. Want one for your "
        "{{ vehicle }}? {{ chat_link }}",
    ),
    8: _touch(
        "What to expect on tint day",
        [
            "Drop off your {{ vehicle }} at {{ location_address }}. We clean the glass, cut the film to fit "
            "your windows exactly, and install it in a dust-controlled bay.",
            "Afterwards, keep the windows rolled up for a few days while the film cures. Small haze or "
            "water spots in that time are normal and disappear on their own.",
        ],
        "Book your tint day",
        "{{ first_name }}, tint day is easy: drop off your {{ vehicle }}, pick it up the same day. Book "
        "with {{ location_name }}: {{ chat_link }}",
    ),
    9: _touch(
        "Is tint still on your list?",
        [
            f"Quick question: are you still planning {SERVICES} for your {{{{ vehicle }}}}?",
            "If your plans changed, no problem. If not, we are happy to answer questions or get you booked.",
        ],
        "Reply in the chat",
        "Quick question {{ first_name }}: is tint for your {{ vehicle }} still on your list? Ask us or "
        "book here: {{ chat_link }}",
    ),
    10: _touch(
        "Prefer to talk it through?",
        [
            "Some people like to see the film samples in person. You are welcome to stop by "
            "{{ location_name }} at {{ location_address }}, or call us at {{ location_phone }}.",
            "Or, if it is easier, ask us anything in the chat.",
        ],
        "Chat with us",
        "{{ first_name }}, want to see tint samples in person? Visit us at {{ location_address }} or call "
        "{{ location_phone }}.",
    ),
    11: _touch(
        "Shall we hold a spot for your {{ vehicle }}?",
        [
            "We can hold an appointment for your {{ vehicle }} at a time that works for you.",
            "Pick one in the chat; if you need to change it later, just let us know.",
        ],
        "Hold my spot",
        "{{ first_name }}, want us to hold a spot for your {{ vehicle }}? Pick a time that works: "
        "{{ chat_link }}",
    ),
    12: _touch(
        "Should we close your tint request?",
        [
            "We have not heard back about your {{ vehicle }}, so we will close your request soon.",
            "If you would still like tint, reply to this email or use the chat and we will pick up right "
            "where we left off.",
        ],
        "Keep my request open",
        "Hi {{ first_name }}, should we close your tint request for the {{ vehicle }}? If you still want "
        "it, we're here: {{ chat_link }}",
    ),
    13: _touch(
        "Closing your tint request",
        [
            "This is our last note about your quote for the {{ vehicle }}. Thank you for considering "
            "{{ location_name }}.",
            "Whenever you are ready for tint, call us at {{ location_phone }} or reply to this email and "
            "we will take care of you.",
        ],
        "Book any time",
        "Hi {{ first_name }}, this is our last message about your tint quote. Whenever you're ready, call "
        "{{ location_phone }}. Thanks! - {{ location_name }}",
    ),
}
