"""A complaint is told to the staff even when the assistant answers it; an ordinary question is not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadorch.domain.staff_attention import complaint_sign


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("The tint you put on last week is bubbling on the rear window", "bubbling"),
        ("This is ridiculous, I've been waiting all day", "ridiculous"),
        ("I want a refund", "refund"),
        ("Still waiting for someone to call me back!!", "Still waiting"),
        ("Quiero un reembolso, el trabajo fue pésimo", "reembolso"),
        ("Very disappointed with the service", "disappointed"),
    ],
)
def test_a_complaint_is_recognised_by_its_words(text: str, sign: str) -> None:
    assert complaint_sign(text) == sign


@pytest.mark.parametrize(
    "text",
    [
        "anything Saturday morning for the ultimate?",
        "2",
        "yes",
        "How much is the ceramic tint on a Camry?",
        "¿Tienen algo el sábado por la mañana?",
        "thanks!",
    ],
)
def test_an_ordinary_message_is_not_a_complaint(text: str) -> None:
    assert complaint_sign(text) is None


@given(st.text(max_size=200))
def test_any_text_is_read_without_failing(text: str) -> None:
    found = complaint_sign(text)
    assert found is None or found.lower() in text.replace("\u2019", "'").lower()
