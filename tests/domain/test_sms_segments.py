"""SMS segment counting: GSM-7 (160 / 153 per part, extension characters count two) and UCS-2 (70 / 67)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadorch.domain.sms_segments import GSM7_BASIC, SegmentInfo, sms_segments

PLAIN_GSM = sorted(GSM7_BASIC)


def test_160_gsm_characters_fit_one_segment() -> None:
    assert sms_segments("a" * 160) == SegmentInfo(encoding="GSM-7", segments=1, units=160)


def test_161_gsm_characters_need_two_segments() -> None:
    assert sms_segments("a" * 161) == SegmentInfo(encoding="GSM-7", segments=2, units=161)


@pytest.mark.parametrize(("length", "segments"), [(306, 2), (307, 3), (459, 3), (460, 4)])
def test_long_gsm_texts_are_split_into_153_septet_parts(length: int, segments: int) -> None:
    assert sms_segments("x" * length).segments == segments


def test_extension_characters_count_two_septets() -> None:
    assert sms_segments("€" * 80) == SegmentInfo(encoding="GSM-7", segments=1, units=160)
    assert sms_segments("{" * 81) == SegmentInfo(encoding="GSM-7", segments=2, units=162)
    assert sms_segments("[a]~^|\\").units == 2 * 6 + 1


def test_an_escape_pair_is_never_split_across_parts() -> None:
    # 306 septets would be two parts, but the euro sign (escape + code) cannot straddle the boundary.
    text = "a" * 152 + "€" + "a" * 152
    assert sms_segments(text) == SegmentInfo(encoding="GSM-7", segments=3, units=306)


def test_accented_letters_in_the_gsm_table_stay_gsm() -> None:
    assert sms_segments("Café für Sie: Ärger, Öl, Übel, ñ, ü, à, ¿¡").encoding == "GSM-7"


def test_accented_letters_outside_the_gsm_table_need_ucs2() -> None:
    assert sms_segments("São Paulo").encoding == "UCS-2"  # ã is not in GSM-7


def test_an_emoji_turns_the_message_into_ucs2() -> None:
    info = sms_segments("See you at 3 😀")
    assert info.encoding == "UCS-2"
    assert info.units == 15  # the emoji is a surrogate pair: two UTF-16 units
    assert info.segments == 1


def test_a_curly_quote_turns_the_message_into_ucs2() -> None:
    assert sms_segments("We’re open").encoding == "UCS-2"


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_texts_fit_70_then_67_per_part(length: int, segments: int) -> None:
    assert sms_segments("ж" * length) == SegmentInfo(encoding="UCS-2", segments=segments, units=length)


def test_a_surrogate_pair_is_never_split_across_parts() -> None:
    text = "ж" * 66 + "😀" + "ж" * 66  # 134 units, but the emoji cannot straddle the 67-unit boundary
    assert sms_segments(text) == SegmentInfo(encoding="UCS-2", segments=3, units=134)


def test_an_empty_text_is_zero_segments() -> None:
    assert sms_segments("") == SegmentInfo(encoding="GSM-7", segments=0, units=0)


@given(st.text(alphabet=PLAIN_GSM, min_size=1, max_size=1200))
def test_plain_gsm_text_costs_one_segment_up_to_160_then_one_per_153(text: str) -> None:
    info = sms_segments(text)
    expected = 1 if len(text) <= 160 else math.ceil(len(text) / 153)
    assert (info.encoding, info.units, info.segments) == ("GSM-7", len(text), expected)


@given(st.text(min_size=1, max_size=400))
def test_every_non_empty_text_is_at_least_one_segment_of_its_units(text: str) -> None:
    info = sms_segments(text)
    single, per_part = (160, 153) if info.encoding == "GSM-7" else (70, 67)
    assert info.units >= len(text)
    if info.segments == 1:
        assert info.units <= single
    else:
        assert info.units > single
        assert math.ceil(info.units / per_part) <= info.segments <= math.ceil(info.units / (per_part - 1))
