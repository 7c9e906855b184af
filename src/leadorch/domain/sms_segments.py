"""How many SMS segments a text costs.

Carriers bill per segment, and long messages are split, so templates are limited by segments rather
than characters. A text that fits the GSM-7 alphabet (3GPP TS 23.038 basic table plus the extension
table, whose characters take two septets: an escape and the character) is sent as GSM-7: 160 septets
fit one message, 153 per part once it is split (the user data header takes the rest). Any other
character, such as an emoji or a curly quote, turns the whole message into UCS-2: 70 UTF-16 code
units in one message, 67 per part. A two-unit character (an escape pair, or a UTF-16 surrogate pair)
is never split across parts, which is why the count packs parts greedily instead of dividing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

SINGLE_GSM7 = 160
PART_GSM7 = 153
SINGLE_UCS2 = 70
PART_UCS2 = 67

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SegmentInfo:
    """The encoding a text needs, how many segments it is sent as, and its length in that encoding's units
    (septets for GSM-7, UTF-16 code units for UCS-2)."""

    encoding: Encoding
    segments: int
    units: int


def sms_segments(text: str) -> SegmentInfo:
    """Count the segments `text` is sent as; an empty text is zero segments."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        widths = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return SegmentInfo("GSM-7", _pack(widths, SINGLE_GSM7, PART_GSM7), sum(widths))
    widths = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SegmentInfo("UCS-2", _pack(widths, SINGLE_UCS2, PART_UCS2), sum(widths))


def _pack(widths: list[int], single: int, part: int) -> int:
    total = sum(widths)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for width in widths:
        if used + width > part:
            segments, used = segments + 1, 0
        used += width
    return segments
