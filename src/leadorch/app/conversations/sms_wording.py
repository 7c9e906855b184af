"""How an assistant's answer reads as a text: plain, within two GSM-7 segments, times numbered.

A text longer than two segments arrives split (out of order on some phones) and costs a segment each,
so an answer that does not fit becomes its first sentences and the chat link. Offered times are
numbered ("Reply 1 for Sat Dec 5, 9:00 AM PST, 2 for …"): the customer answers with a number, and the
server, not the model, reads it (`chat.sms_picks`). Only the times that fit are offered, and the
conversation records exactly those, so "2" means what the customer read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from leadorch.domain.sms_segments import sms_segments

MAX_SEGMENTS = 2
MAX_NUMBERED = 4
"""More choices than this do not fit two segments with their labels (and are hard to read on a phone)."""
OPEN_TIMES = "Open times:"
"""The lead-in of numbered times when none of the assistant's own sentences fits beside them."""
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def fits(text: str) -> bool:
    return sms_segments(text).segments <= MAX_SEGMENTS


def numbered(slots: Sequence[dict[str, Any]]) -> str:
    """ "Reply 1 for …, 2 for …" for `slots` (their labels)."""
    return "Reply " + ", ".join(f"{n} for {slot['label']}" for n, slot in enumerate(slots, start=1)) + "."


def sms_answer(text: str, slots: Sequence[dict[str, Any]], chat_url: str) -> tuple[str, list[dict[str, Any]]]:
    """The text to send for the assistant's `text` offering `slots`, and the slots it numbers."""
    words = _plain(text)
    if slots:
        offered = list(slots[:MAX_NUMBERED])
        while offered:
            choices = numbered(offered)
            for lead in (_first_sentences(words, choices), OPEN_TIMES):
                body = f"{lead} {choices}"
                if lead and fits(body):
                    return body, offered
            offered = offered[:-1]
    if fits(words):
        return words, []
    more = f" More: {chat_url}"
    return f"{_first_sentences(words, more)}{more}".strip(), []


def _first_sentences(words: str, then: str) -> str:
    """As many of `words`' first sentences as fit two segments with `then` after them ("" when none)."""
    kept = ""
    for sentence in _SENTENCE.split(words):
        candidate = f"{kept} {sentence}".strip()
        if not fits(f"{candidate} {then}"):
            break
        kept = candidate
    return kept


def _plain(text: str) -> str:
    """The answer without the markup a chat page renders (bullets, bold, list numbers)."""
    lines = [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line).replace("**", "") for line in text.splitlines()]
    return " ".join(" ".join(line.split()) for line in lines if line.strip())
