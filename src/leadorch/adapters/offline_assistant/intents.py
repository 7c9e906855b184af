"""What the customer asked for: the phrases that choose a tool (or a fixed answer), and the service named.

Order matters and is decided in `assistant.py`: a hand-off or an out-of-bounds request wins over
everything else, then cancelling, moving, booking, prices and times. Whether a message asks to book at
all is the domain's rule (`domain/booking_request.py`), the same one the tool layer enforces. The
patterns read the text as `spelling.respell` (and, for Spanish, `language.as_english`) leave it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from leadorch.domain.service_match import match_services


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
# Asking to pay less than the listed price: answered with the listed price, never a tool that books.
HAGGLE = _any(
    r"\b(can|could|would|will)\s+(you|u|ya)\s+(do|take|go|make\s+it)\b[^?.!]*(\$\s*\d|\d+\s*(bucks|dollars))",
    r"\bbest\s+(price|deal|you\s+can\s+do)\b",
    r"\b(cheaper|lower\s+price|price\s+match|match\s+(a|the|their)\b|any\s+deals?|negotiat|knock\s+off)",
    r"\bdeal\s+(on|for)\b",
    r"\b(too|so)\s+(expensive|pricey|much)\b",
)
HOW_LONG = _any(
    r"\bhow\s+long\b",
    r"\bhow\s+many\s+hours\b",
    r"\bduration\b",
    r"\btakes?\s+long\b",
    r"\bwait\s+(for\s+it|while)\b",
)
THANKS = _any(r"\b(thanks|thank\s+you|cheers|appreciate\s+it|much\s+appreciated)\b")
GREETING = _any(r"^\s*(hi|hello|hey|hiya|howdy|hola|good\s+(morning|afternoon|evening)|yo)\b[\s!.,]*$")
NO = _any(r"^\s*(no|nope|nah|not\s+now|never\s*mind|keep\s+it|don'?t)\b")
WHO = _any(r"\bwho(?:'s|se|m)?\b")
NOT_OFFERED = _any(
    r"\b(ceramic\s+)?coating\b", r"\bppf\b", r"\bpaint\s+(protection|correction)\b", r"\bclear\s+bra\b",
    r"\b(vinyl\s+)?wraps?\b", r"\bdetail(ing)?\b", r"\boil\s+change\b", r"\bbrakes?\b", r"\btires?\b",
    r"\balignment\b", r"\bcar\s+wash\b", r"\bwax(ing)?\b", r"\bpolish(ing)?\b",
    r"\bwindshield\s+(replacement|repair|crack|chip)\b", r"\bdents?\b", r"\bheadlights?(\s+restoration)?\b",
    r"\b(car\s+)?stereo\b", r"\bremote\s+start\b", r"\bsmog\b", r"\bengine\b", r"\btransmission\b",
    r"\bbattery\b",
)  # fmt: skip
"""Car services a tint shop is often asked about; offered only when the shop's catalogue names them."""
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
    r"\bcheapest\b",
    r"\bleast\s+expensive\b",
    r"\bmost\s+affordable\b",
    r"\brun\s+me\b",
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
CATALOGUE = _any(
    r"\bpackages\b",
    r"\bwhat\s+(do\s+)?(you|u)\s+(have|got)\b",
    r"\bservices\b",
    r"\boffer\b",
    r"\boptions\b",
    r"\bmenu\b",
)
COMPARE = _any(r"\bdifference\b", r"\bcompare\b", r"\bvs\.?\b", r"\bversus\b", r"\bwhich\s+is\s+better\b",
               r"\bwhat'?s\s+(included|in\s+the)\b")  # fmt: skip
GENERIC_ASK = _any(r"\bprices\b", r"\ball\b", r"\beach\b", r"\bevery\b", r"\bcheapest\b", r"\boptions\b",
                   r"\bpackages\b", r"\bservices\b", r"\bmenu\b")  # fmt: skip
"""Words asking about every service, not the one the quote was for."""
WHERE = _any(
    r"\bwhere\s+(are|r)\s+(you|u)\b", r"\baddress\b", r"\blocated\b", r"\blocation\b", r"\bdirections\b"
)
HOURS = _any(r"\b(opening|business|your)\s+hours\b", r"\bwhat\s+time\s+do\s+(you|u)\s+(open|close)\b",
             r"\bwhen\s+do\s+(you|u)\s+(open|close)\b", r"^\s*hours\??\s*$")  # fmt: skip
YES = _any(r"^\s*(yes|yeah|yep|yup|sure|ok|okay|please|sounds\s+good|definitely|absolutely)\b")


GENERIC_WORDS: frozenset[str] = frozenset(
    {"the", "a", "and", "of", "with", "for", "package", "tint", "tinting", "window", "windows",
     "film", "service", "install", "installation"}
)  # fmt: skip
"""Words that name no service in particular, for a catalogue that does not say its own (the tenants'
default, `TenantConfig.catalog_generic_words`; list_services gives the tenant's)."""


def not_ruled_out(
    text: str, catalogue: list[dict[str, Any]], generic: Collection[str]
) -> list[dict[str, Any]]:
    """The services `text` does not rule out ("all windows except windshield"), by the domain's rule
    (`domain/service_match.py`), the one the tools apply too."""
    keyed = {str(i): s for i, s in enumerate(catalogue)}
    excluded = match_services(text, {k: str(s.get("name", "")) for k, s in keyed.items()}, generic).excluded
    return [s for k, s in keyed.items() if k not in excluded]


def not_offered(text: str, catalogue: list[dict[str, Any]]) -> str | None:
    """The car service the customer asked about that the shop's catalogue does not name, if any."""
    match = NOT_OFFERED.search(text)
    if match is None:
        return None
    names = " ".join(str(s.get("name", "")).lower() for s in catalogue)
    words = re.findall(r"[a-z]+", match.group(0).lower())
    if words and all(re.search(rf"\b{re.escape(w)}", names) for w in words if w not in ("car", "the")):
        return None
    return match.group(0).lower()


def named_services(
    text: str, catalogue: list[dict[str, Any]], generic: Collection[str] = GENERIC_WORDS
) -> list[dict[str, Any]]:
    """Every catalogue service the customer named ("the supreme or the ultimate?"): the best match
    (`named_service`), then each other service named by a word no service before it was named by."""
    best = named_service(text, catalogue, generic)
    if best is None:
        return []
    lowered = text.lower()
    catalogue = not_ruled_out(text, catalogue, generic)
    named, used = [best], _words_found(best, lowered, generic)
    for service in catalogue:
        found = _words_found(service, lowered, generic)
        if service is not best and found - used:
            named.append(service)
            used |= found
    return named


def _words_found(service: dict[str, Any], lowered: str, generic: Collection[str]) -> set[str]:
    name = str(service.get("name", "")).lower()
    words = {w for w in re.findall(r"[a-z0-9]+", name) if w not in generic and len(w) > 2}
    return {w for w in words if re.search(rf"\b{re.escape(w)}\b", lowered)}


def named_service(
    text: str, catalogue: list[dict[str, Any]], generic: Collection[str] = GENERIC_WORDS
) -> dict[str, Any] | None:
    """The catalogue service the customer named, by full name or by a distinctive word of it (one not in
    `generic`, the shop's words that every service name shares); what the text excludes ("except the
    windshield") names nothing."""
    lowered = text.lower()
    catalogue = not_ruled_out(text, catalogue, generic)
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
