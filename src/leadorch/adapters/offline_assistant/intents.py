"""What the customer asked for: the phrases that choose a tool (or a fixed answer), and the service named.

Order matters and is decided in `assistant.py`: a hand-off or an out-of-bounds request wins over
everything else, then cancelling, moving, booking, prices and times.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(patterns), re.IGNORECASE)


HANDOFF = _any(
    r"\b(talk|speak)\s+(to|with)\b",
    r"\breal\s+(person|human)\b",
    r"\bhuman\b",
    r"\b(call|phone|ring)\s+me\b",
    r"\bgive\s+me\s+a\s+(call|ring)\b",
    r"\brepresentative\b",
)
# Requests to change prices or the assistant's rules are answered in words, never with a tool.
OUT_OF_BOUNDS = _any(
    r"\bdiscount",
    r"\bcoupon",
    r"\bpromo",
    r"\d+\s*%",
    r"\bpercent\b",
    r"\bhalf\s+off\b",
    r"\bfor\s+free\b",
    r"\b(set|change|lower|make)\s+the\s+(price|cost)\b",
    r"\bignore\s+(all\s+|any\s+)?(your|previous|prior|the|above)\b",
    r"\bsystem\s+prompt\b",
    r"\byou\s+are\s+now\b",
    r"\bnew\s+instructions\b",
)
CANCEL = _any(r"\bcancel")
RESCHEDULE = _any(
    r"\bre-?schedul",
    r"\b(move|push|shift)\b",
    r"\b(change|switch)\b[^.?!]*\b(appointment|booking|time|day|date)\b",
)
BOOK = _any(
    r"\bbook",
    r"\breserve\b",
    r"\bi'?ll\s+take\b",
    r"\bsign\s+me\s+up\b",
    r"\bput\s+me\s+(down|in)\b",
    r"\bworks\s+for\s+me\b",
    r"\blet'?s\s+do\b",
)
PRICES = _any(
    r"\bprices?\b",
    r"\bpricing\b",
    r"\bcosts?\b",
    r"\bhow\s+much\b",
    r"\bquote\b",
    r"\bcharge\b",
    r"\brates?\b",
    r"\$",
)
SLOTS = _any(
    r"\btimes?\b",
    r"\bslots?\b",
    r"\bavailab",
    r"\bopenings?\b",
    r"\bopen\b",
    r"\bfree\b",
    r"\bwhen\b",
    r"\bappointments?\b",
    r"\bcome\s+in\b",
    r"\bdrop\s+(it\s+)?off\b",
    r"\bschedule\b",
    r"\banything\b",
)
CATALOGUE = _any(r"\bpackages?\b", r"\bservices\b", r"\boffer\b", r"\boptions\b", r"\bmenu\b")
YES = _any(r"^\s*(yes|yeah|yep|yup|sure|ok|okay|please|sounds\s+good|definitely|absolutely)\b")


GENERIC_WORDS: frozenset[str] = frozenset(
    {"the", "a", "and", "of", "with", "for", "package", "tint", "tinting", "window", "windows",
     "film", "service", "install", "installation"}
)  # fmt: skip
"""Words that name no service in particular, for a catalogue that does not say its own (the tenants'
default, `TenantConfig.catalog_generic_words`; list_services gives the tenant's)."""


def named_service(
    text: str, catalogue: list[dict[str, Any]], generic: Collection[str] = GENERIC_WORDS
) -> dict[str, Any] | None:
    """The catalogue service the customer named, by full name or by a distinctive word of it (one not in
    `generic`, the shop's words that every service name shares)."""
    lowered = text.lower()
    best: tuple[int, dict[str, Any]] | None = None
    for service in catalogue:
        name = str(service.get("name", ""))
        if name and name.lower() in lowered:
            return service
        words = {w for w in re.findall(r"[a-z0-9]+", name.lower()) if w not in generic and len(w) > 2}
        score = sum(1 for w in words if re.search(rf"\b{re.escape(w)}\b", lowered))
        if score and (best is None or score > best[0]):
            best = (score, service)
    return best[1] if best else None
