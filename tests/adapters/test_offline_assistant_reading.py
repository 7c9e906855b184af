"""How the offline assistant reads what customers type: shorthand, typos and Spanish, one phrase per row."""

from __future__ import annotations

import pytest

from leadorch.adapters.offline_assistant.language import ENGLISH, SPANISH, as_english, language_of
from leadorch.adapters.offline_assistant.spelling import respell, service_words
from leadorch.adapters.offline_assistant.wording import PHRASES

SHOP_WORDS = service_words(
    ["Ultimate Tint Package", "Supreme Tint Package", "Premium Tint Package"], ["tint", "package"]
)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("ultimte tmrw aftrnoon?", "ultimate tomorrow afternoon?"),
        ("saturdy mornin pls", "saturday morning please"),
        ("anything tomorow or firday", "anything tomorrow or friday"),
        ("wensday next week, premum", "wednesday next week, premium"),
        ("thx!", "thanks!"),
        ("b4 thrusday", "before thursday"),
        ("can u do 10am", "can you do 10am"),
        ("prime time there", "prime time there"),  # alike, not alike enough: left as written
        ("Tom can come sat", "tom can come sat"),  # a name, not "tomorrow"
        ("the suprme one", "the supreme one"),
    ],
)
def test_shorthand_is_spelled_out_and_typos_of_known_words_corrected(typed: str, read: str) -> None:
    assert respell(typed, SHOP_WORDS) == read


def test_a_shops_own_service_words_are_known_but_its_generic_words_are_not() -> None:
    assert {"ultimate", "supreme", "premium"} == SHOP_WORDS


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hola, cuánto cuesta?", SPANISH),
        ("tienen algo el sábado?", SPANISH),
        ("gracias", SPANISH),
        ("quiero una cita", SPANISH),
        ("precio del premium por favor", SPANISH),
        ("how much is it?", ENGLISH),
        ("anything saturday?", ENGLISH),
        ("ok", None),
        ("2", None),
        ("10am", None),
    ],
)
def test_the_language_is_told_by_common_words(text: str, language: str | None) -> None:
    assert language_of(text) == language


@pytest.mark.parametrize(
    ("spanish", "read"),
    [
        ("el sábado por la mañana", "el saturday morning"),
        ("mañana a las 3", "tomorrow at 3"),
        ("mañana por la tarde", "tomorrow afternoon"),
        ("pasado mañana", "day after tomorrow"),
        ("¿cuánto cuesta el ultimate?", " how much el ultimate?"),
        ("la próxima semana", "next week"),
        ("antes del viernes", "before friday"),
        ("después de las 4", "after 4"),
        ("a las 10 y media", "at 10:30"),
        ("este fin de semana", "this weekend"),
        ("sí, el primero", "yes, the first one"),
        ("quiero hablar con una persona", "quiero talk to someone"),
        ("cancelar mi cita", "cancel mi appointment"),
    ],
)
def test_spanish_phrases_are_read_as_the_english_words_the_assistant_acts_on(spanish: str, read: str) -> None:
    assert as_english(spanish) == read


def test_every_phrase_is_worded_in_both_languages() -> None:
    assert set(PHRASES[ENGLISH]) == set(PHRASES[SPANISH])
    for key, english in PHRASES[ENGLISH].items():
        fields = sorted(part.split("}")[0] for part in english.split("{")[1:])
        spanish = sorted(part.split("}")[0] for part in PHRASES[SPANISH][key].split("{")[1:])
        assert fields == spanish, key
