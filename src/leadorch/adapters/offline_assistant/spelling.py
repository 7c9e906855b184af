"""How customers spell: texting shorthand ("tmrw", "thx", "appt") and typos ("ultimte", "aftrnoon").

A typo is corrected only towards the words this assistant acts on (weekdays, parts of the day, the
booking words, and the distinctive words of the shop's own service names), with the standard library's
`difflib.get_close_matches`: a word is replaced by the closest known word when they are alike enough
(`CUTOFF`), and never when the word is short (a four-letter word is one letter from too many others).
Words already known, numbers, and anything that is not alike enough are left as written.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

CUTOFF = 0.82
"""How alike (difflib's ratio) a word must be to a known word to be read as it: "firday" is 0.83 from
"friday"; "prime" is 0.8 from "price" and stays "prime"."""
MIN_LENGTH = 5

SHORTHAND: dict[str, str] = {
    "tmrw": "tomorrow", "tmr": "tomorrow", "tmrow": "tomorrow", "tmro": "tomorrow", "tmw": "tomorrow",
    "2morrow": "tomorrow", "2moro": "tomorrow", "2mrw": "tomorrow", "tomoz": "tomorrow",
    "tdy": "today", "2day": "today", "tonite": "tonight", "wknd": "weekend", "wkend": "weekend",
    "nxt": "next", "wk": "week", "arvo": "afternoon", "aft": "afternoon", "mornin": "morning",
    "thx": "thanks", "thnx": "thanks", "tx": "thanks", "ty": "thank you", "tysm": "thank you",
    "pls": "please", "plz": "please", "appt": "appointment", "appts": "appointments", "avail": "available",
    "u": "you", "ur": "your", "r": "are", "cuz": "because", "bc": "because", "w/": "with", "b4": "before",
    "wat": "what", "wut": "what", "hw": "how", "hm": "how much", "rn": "right now", "asap": "soon",
    "ppl": "people", "msg": "message", "mins": "minutes", "hrs": "hours", "hr": "hour",
}  # fmt: skip
"""Shorthand read as the words it stands for (whole words only)."""

VOCABULARY: frozenset[str] = frozenset(
    {
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "tomorrow",
        "today", "tonight", "morning", "afternoon", "evening", "weekend", "after", "before", "next",
        "available", "availability", "appointment", "appointments", "schedule", "reschedule", "cancel",
        "openings", "price", "prices", "pricing", "package", "packages", "booking", "thanks", "thank",
        "please", "windows", "window", "windshield", "ceramic", "quote", "person", "someone", "somebody",
        "representative", "change", "discount", "minutes", "hours", "sábado", "mañana", "miércoles",
        "viernes", "jueves", "martes", "lunes", "domingo", "gracias", "cuánto", "precio", "disponible",
    }
)  # fmt: skip
"""The words the assistant acts on; a shop's distinctive service words are added to them."""


def service_words(names: Iterable[str], generic: Iterable[str]) -> frozenset[str]:
    """The distinctive words of the shop's service names ("ultimate", "supreme"), for typo correction."""
    skip = {w.lower() for w in generic}
    return frozenset(
        word
        for name in names
        for word in re.findall(r"[^\W\d_]+", name.lower())
        if len(word) >= MIN_LENGTH and word not in skip
    )


def respell(text: str, extra: Iterable[str] = ()) -> str:
    """`text` in lower case with shorthand spelled out and typos of known words corrected."""
    known = sorted(VOCABULARY | set(extra))
    known_set = set(known)
    lowered = text.lower().replace("\u2019", "'")

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in SHORTHAND:
            return SHORTHAND[word]
        if len(word) < MIN_LENGTH or word in known_set or not word.isalpha():
            return word
        close = difflib.get_close_matches(word, known, n=1, cutoff=CUTOFF)
        return close[0] if close else word

    return re.sub(r"w/|[\w']+", fix, lowered)


__all__ = ["CUTOFF", "SHORTHAND", "VOCABULARY", "respell", "service_words"]
