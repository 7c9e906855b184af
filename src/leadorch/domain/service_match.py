"""Which of a shop's services a customer's words name, respecting what they rule out.

"Ceramic tint, all windows except windshield" names ceramic tint and rules the windshield out: the
windshield product must not be chosen (nor quoted) for it, although "ceramic" is in its name. The rule:

1. Exclusions. A clause starting with "except", "except for", "excluding", "but not", "not", "no",
   "without", "minus", "other than", "apart from" (Spanish "excepto", "menos", "sin", "salvo") runs to
   the next comma, full stop, "or" or "but" ("except windshield and front windows" rules out both). A service is ruled out when a distinctive word of its
   name (one not among the shop's generic words, compared without a plural "s") is in such a clause.
2. Naming. The words outside the exclusion clauses are compared with the distinctive words of each
   service left: the service sharing the most is named, unless another shares as many (a tie names
   none). A full service name in the words names that service first.

Pure: the caller passes the services as id → name and the shop's generic words (`TenantConfig.
catalog_generic_words`), so the application's tools and the offline assistant read words the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_EXCLUSION = re.compile(
    r"\b(?:except(?:\s+for)?|excluding|exclude|but\s+not|not|no|without|minus|other\s+than|apart\s+from"
    r"|excepto|menos|sin|salvo)\s+([^,.;:!?]+?)(?=$|[,.;:!?]|\s(?:or|but|o|pero)\b)"
)
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class ServiceMatch:
    """What the words name: `named` (the one service, if exactly one), the services still possible
    (`candidates`, best first) and those the words rule out (`excluded`)."""

    named: str | None
    candidates: tuple[str, ...]
    excluded: tuple[str, ...]


def match_services(text: str, services: Mapping[str, str], generic_words: Iterable[str]) -> ServiceMatch:
    """Match `text` against `services` (id → name), ignoring `generic_words`."""
    generic = {_stem(word) for word in generic_words}
    said = " ".join(text.lower().split())
    ruled_out_words: set[str] = set()
    kept = said
    for clause in _EXCLUSION.finditer(said):
        ruled_out_words |= _words(clause.group(1), generic)
        kept = kept.replace(clause.group(0), " ")
    wanted = _words(kept, generic)
    excluded = tuple(sid for sid, name in services.items() if _words(name, generic) & ruled_out_words)
    left = {sid: name for sid, name in services.items() if sid not in excluded}
    whole = [sid for sid, name in left.items() if name.strip() and " ".join(name.lower().split()) in kept]
    if len(whole) == 1:
        return ServiceMatch(named=whole[0], candidates=tuple(left), excluded=excluded)
    scores = {sid: len(_words(name, generic) & wanted) for sid, name in left.items()}
    ranked = sorted(left, key=lambda sid: -scores[sid])
    best = ranked[0] if ranked and scores[ranked[0]] > 0 else None
    if best is not None and len(ranked) > 1 and scores[ranked[1]] == scores[best]:
        best = None
    return ServiceMatch(named=best, candidates=tuple(ranked), excluded=excluded)


def _words(text: str, generic: set[str]) -> set[str]:
    return {_stem(word) for word in _WORD.findall(text.lower())} - generic - {""}


def _stem(word: str) -> str:
    """The word without a plural "s" ("windows" is "window"), so either form matches."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
