"""Reply classification: carrier keywords, plain-language revocation (FCC 24-24), and ordinary messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadorch.domain.reply_intent import ReplyIntent, classify_reply

# The carrier / Twilio keyword lists, written out here rather than imported, so the test is the spec.
OPT_OUT_WORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]
OPT_IN_WORDS = ["START", "UNSTOP", "YES"]
HELP_WORDS = ["HELP", "INFO"]

DECORATION = st.text(alphabet=" \t\n\r.,!?;:-'\"()*~…¡¿🛑", max_size=6)


@st.composite
def decorated(draw: st.DrawFn, words: list[str]) -> str:
    """A keyword in random letter case with random whitespace and punctuation around it."""
    word = draw(st.sampled_from(words))
    cased = "".join(ch.upper() if draw(st.booleans()) else ch.lower() for ch in word)
    return draw(DECORATION) + cased + draw(DECORATION)


@given(decorated(OPT_OUT_WORDS))
def test_an_opt_out_keyword_in_any_case_with_any_punctuation_is_an_opt_out(text: str) -> None:
    assert classify_reply(text) is ReplyIntent.OPT_OUT


@given(decorated(OPT_IN_WORDS))
def test_an_opt_in_keyword_in_any_case_with_any_punctuation_is_an_opt_in(text: str) -> None:
    assert classify_reply(text) is ReplyIntent.OPT_IN


@given(decorated(HELP_WORDS))
def test_a_help_keyword_in_any_case_with_any_punctuation_is_help(text: str) -> None:
    assert classify_reply(text) is ReplyIntent.HELP


@given(st.text(max_size=300))
def test_any_text_gets_exactly_one_intent(text: str) -> None:
    assert classify_reply(text) in set(ReplyIntent)


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "Stop.",
        "stop stop stop",
        "STOP please",
        "Unsubscribe, thank you",
        "ＳＴＯＰ",  # full-width letters from some phone keyboards
        "please stop texting me",
        "Stop texting me",
        "can you stop sending me these messages",
        "quit messaging me",
        "take me off your list",
        "Remove me from your list",
        "don't text me",
        "Don’t text me again",
        "do not contact me",
        "no more messages",
        "No more of these texts please",
        "leave me alone",
        "unsubscribe me",
        "please opt me out",
        "opt-out",
        "I revoke my consent",
        "wrong number",
        "Not interested",
        "No, not interested.",
        "Stop. I already had it done somewhere else",
        "Please stop, I'm all set",
        "Thanks. STOP",
        "I'd like to book, but unsubscribe me from the emails",
        "cancel all texts",
        # FCC 24-24 "any reasonable means": the phrases customers actually send
        "I said stop",
        "I SAID STOP!!",
        "stop it",
        "OK stop",
        "just stop now",
        "stop texting me",
        "no more texts",
        "remove me",
        "STOP.",
        "Stop!",
        "STOP 🙏",
        "🛑 stop 🛑",
        # Spanish
        "no más",
        "No mas",
        "No más mensajes por favor",
        "para",
        "Parar",
        "ALTO",
        "baja",
        "Cancelar",
        "detener",
        "Basta",
        "ya no me escribas",
        "Ya no me escriban por favor",
        "no me manden mensajes",
        "Dejen de escribirme",
        "Dame de baja",
        "Quiero darme de baja",
        "número equivocado",
        "Para, gracias",
    ],
)
def test_plain_language_revocations_are_opt_outs(text: str) -> None:
    assert classify_reply(text) is ReplyIntent.OPT_OUT


@pytest.mark.parametrize(
    "text",
    [
        "Stop by tomorrow?",
        "Can I stop in Friday afternoon?",
        "I'll stop by after work, text me the address",
        "Can I cancel my appointment by text?",
        "Cancel, something came up. Can we do Monday?",
        "End of the week works for me",
        "When does the promotion end? Texts are fine",
        "Don't call me, text me instead",
        "Not interested in ceramic, just the standard film",
        "How much for a 2021 Tesla Model 3?",
        "Yes please, Tuesday at 10",
        "I need help choosing a shade",
        "What info do you need from me?",
        "",
        "   ",
        "👍",
        # false friends: "stop" about something else
        "does it stop heat?",
        "Does the ceramic film stop UV?",
        "can I stop by Saturday?",
        "is the stop sign tint legal?",
        "When will it stop raining?",
        "Will it stop?",
        # Spanish false friends: "para" is also "for", "alto" also "high", "baja" also "low"
        "¿Para el sábado?",
        "Es para un Honda Civic 2020",
        "¿Cuánto cuesta para todas las ventanas?",
        "El precio es muy alto",
        "¿Tienen película de baja reflexión?",
        "Quiero cancelar mi cita",
        "No me llames, mándame mensaje",
        "¿Hay algo el sábado en la mañana?",
    ],
)
def test_messages_that_are_clearly_not_revocations_stay_messages(text: str) -> None:
    assert classify_reply(text) is ReplyIntent.MESSAGE


@pytest.mark.parametrize("text", ["START", "start!", "Unstop", "yes", "YES."])
def test_opt_in_keywords(text: str) -> None:
    assert classify_reply(text) is ReplyIntent.OPT_IN


@pytest.mark.parametrize("text", ["HELP", "help?", "Info", " INFO! "])
def test_help_keywords(text: str) -> None:
    assert classify_reply(text) is ReplyIntent.HELP
