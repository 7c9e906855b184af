"""What a customer's reply means for consent: opt out, opt back in, ask for help, or just talk.

The rule, in order:

1. Carrier keywords. If the reply, once whitespace, punctuation and symbols around and between words
   are ignored and letters are folded to lower case, is nothing but opt-out keywords (STOP, STOPALL,
   UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT, optionally with "please"), it is `OPT_OUT`. Exactly
   START, UNSTOP or YES is `OPT_IN`; exactly HELP or INFO is `HELP`.
2. Plain-language revocation. Since the FCC's 2024 consent rules (FCC 24-24) a consumer may revoke
   consent "in any reasonable manner", so a reply that says so in words is `OPT_OUT` too: "please stop
   texting me", "take me off your list", "don't text me", "no more messages", "leave me alone",
   "unsubscribe me", "opt me out", "wrong number", a bare "not interested", a reply that *starts*
   with "stop" ("Stop. I already had it done"), or a sentence inside a longer reply that is only an
   opt-out keyword ("Thanks. STOP"). Phrases are matched within one sentence or clause at a time.
3. Spanish. The same in Spanish, accents optional: a reply that is nothing but "para", "parar", "alto",
   "baja", "cancelar", "detener", "no más" (with "por favor" or "gracias"), and phrases such as "ya no me
   escribas", "no me manden mensajes", "dejen de escribirme", "dame de baja", "número equivocado".
   "Para" and "alto" count only alone: "¿para el sábado?" is a question about Saturday.
4. A short clause that ends in "stop" and is not a question ("I said stop", "OK stop", "just stop").
5. Anything else is `MESSAGE`, for the assistant or staff to answer.

When in doubt the rule leans towards `OPT_OUT`: texting someone who revoked consent is a violation,
while a wrongly honoured opt-out costs one lead who can text START. The exceptions are replies where
the opt-out word is plainly about something else: "stop" followed by a place word ("stop by tomorrow?",
"can I stop in at 3"), "cancel my appointment", "end of the week works", "yes, Tuesday is fine".

`OPT_IN` ("yes") is only a consent change for a recipient who is opted out; for anyone else the
caller should treat it as a message.
"""

from __future__ import annotations

import re
import unicodedata
from enum import Enum


class ReplyIntent(Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    MESSAGE = "message"


OPT_OUT_KEYWORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})
# Spanish keywords that revoke on their own (the whole message, with politeness around them).
SPANISH_OPT_OUT_KEYWORDS = frozenset({"para", "parar", "alto", "baja", "cancelar", "detener", "basta"})
OPT_IN_KEYWORDS = frozenset({"start", "unstop", "yes"})
HELP_KEYWORDS = frozenset({"help", "info"})

_POLITE_WORDS = frozenset(
    {"please", "pls", "plz", "now", "thanks", "thank", "you", "por", "favor", "gracias", "ya", "ok", "okay"}
)
_PLACE_WORDS = r"(?:by|in|over|at|off|into|back|through)"
_CHANNEL = (
    r"(?:texts?|texting|txts?|messages?|messaging|msgs?|sms|e\s?mails?|e\s?mailing|calls?|calling"
    r"|contacting|contact|spam|spamming|reminders?|notifications?|marketing|subscription)"
)
_DETERMINERS = r"(?:all|the|these|those|your|my|any|of|this)"

_REVOCATIONS = tuple(
    re.compile(pattern)
    for pattern in (
        # "stop texting me", "please stop sending me these messages", "quit messaging"
        rf"\b(?:stop|quit|cease)\b(?!\s+{_PLACE_WORDS}\b)(?:\s+[\w']+){{0,4}}?\s+{_CHANNEL}\b",
        # "stop sending me stuff", "quit bugging me", "stop it"
        r"\b(?:stop|quit|cease)\s+(?:sending|texting|messaging|emailing|contacting|calling|bugging"
        r"|harassing|spamming|it|this|that)\b",
        # "cancel all texts", "end these messages" (but not "cancel my appointment by text")
        rf"\b(?:cancel|end)\s+(?:{_DETERMINERS}\s+){{0,2}}{_CHANNEL}\b",
        # "don't text me", "do not contact me", "never email me again"
        r"\b(?:do\s*n[o']?t|dont|do\s+not|never)\s+(?:ever\s+)?(?:text|txt|message|msg|e\s?mail|contact|sms)\b",
        # "no more messages", "no more of these texts"
        rf"\bno\s+more\s+(?:[\w']+\s+){{0,2}}?{_CHANNEL}\b",
        r"\bleave\s+me\s+alone\b",
        r"\b(?:take|remove|delete|drop|get)\s+(?:me|my\s+(?:number|email|info))\s+(?:off|from|out)\b",
        r"\bremove\s+me\b",
        r"\bunsub(?:scribe)?\b",
        r"\bopt\s*(?:me\s+)?out\b",
        r"\bstop\s*all\b",
        r"\brevoke\b",
        r"\bwrong\s+(?:number|person|email)\b",
        r"\blose\s+(?:this|my)\s+number\b",
        r"^(?:no\s+)?(?:i\s*'?\s*m\s+|i\s+am\s+)?not\s+interested(?:\s+(?:anymore|thanks|thank\s+you))?$",
    )
)

# Spanish, matched on text folded to lower case without accents ("más" → "mas").
_ES_CHANNEL = r"(?:mensajes?|textos?|msjs?|sms|correos?|e\s?mails?|llamadas?|notificaciones?|publicidad)"
_ES_REVOCATIONS = tuple(
    re.compile(pattern)
    for pattern in (
        # "no más", "no mas mensajes por favor", "ya no más"
        rf"^(?:ya\s+)?no\s+mas(?:\s+{_ES_CHANNEL})?(?:\s+(?:por\s+favor|gracias))?$",
        rf"\bno\s+mas\s+{_ES_CHANNEL}\b",
        # "ya no me escribas", "no me manden mensajes", "no me envíen nada", "no me contacten"
        r"\bno\s+(?:me\s+)?(?:escrib|mand|envi|contact|molest)\w*",
        # "deja de escribirme", "dejen de mandarme mensajes", "para de enviarme"
        r"\b(?:deja|dejen|dejar|para|paren|parar)\s+de\s+(?:escrib|mand|envi|contact|molest)\w*",
        # "dame de baja", "darme de baja", "quiero darme de baja"
        r"\b(?:dame|darme|denme|deme|doy)\s+de\s+baja\b",
        r"\b(?:cancelar|detener|parar)\s+(?:los\s+|las\s+|estos\s+|estas\s+)?" + _ES_CHANNEL + r"\b",
        r"\b(?:numero|persona)\s+equivocad[oa]\b",
        r"\bno\s+(?:estoy\s+)?interesad[oa]$",
        r"\b(?:borrar|borrame|eliminar|eliminame|quitar|quitame|sacame|sacar)\w*\s+(?:de\s+)?(?:la\s+|su\s+|tu\s+)?lista\b",
    )
)
# "I said stop", "ok stop", "just stop now": a short clause whose last keyword is "stop".
_ENDS_IN_STOP = re.compile(r"^(?:[\w']+\s+){1,4}stop(?:\s+(?:now|please|pls|it|already))?$")

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_CLAUSE = re.compile(r"(?P<text>[^.?!;,:\n()]*)(?P<end>[.?!;,:\n()]+|$)")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
# Inside a longer reply, "cancel" and "end" on their own usually mean an appointment or a time.
_CLAUSE_OPT_OUT_KEYWORDS = OPT_OUT_KEYWORDS - {"cancel", "end"}


def classify_reply(text: str) -> ReplyIntent:
    """Classify an inbound SMS or the new part of an emailed reply (see the module docstring)."""
    # Accents are dropped so that "más" and "mas", "número" and "numero" read alike.
    folded = _unaccented(unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold())
    words = _WORD.findall(folded)
    if not words:
        return ReplyIntent.MESSAGE
    if _only_keywords(words, OPT_OUT_KEYWORDS):
        return ReplyIntent.OPT_OUT
    whole = " ".join(words)
    if whole in OPT_IN_KEYWORDS:
        return ReplyIntent.OPT_IN
    if whole in HELP_KEYWORDS:
        return ReplyIntent.HELP
    if words[0] == "stop" and not (len(words) > 1 and re.fullmatch(_PLACE_WORDS, words[1])):
        return ReplyIntent.OPT_OUT
    if _only_keywords(words, SPANISH_OPT_OUT_KEYWORDS):
        return ReplyIntent.OPT_OUT
    # Clauses are matched separately so that "...end? Texts are fine" never reads as "end texts".
    for clause, is_question in _clauses(folded):
        if _only_keywords(clause.split(), _CLAUSE_OPT_OUT_KEYWORDS):
            return ReplyIntent.OPT_OUT
        if any(pattern.search(clause) for pattern in _REVOCATIONS):
            return ReplyIntent.OPT_OUT
        if any(pattern.search(clause) for pattern in _ES_REVOCATIONS):
            return ReplyIntent.OPT_OUT
        if not is_question and _ENDS_IN_STOP.match(clause):
            return ReplyIntent.OPT_OUT
    return ReplyIntent.MESSAGE


def _clauses(folded: str) -> list[tuple[str, bool]]:
    """The clauses of a reply as plain words, each with whether it was asked as a question."""
    found = []
    for match in _CLAUSE.finditer(folded):
        words = " ".join(_WORD.findall(match.group("text")))
        if words:
            asked = "?" in match.group("end") or "¿" in match.group("text")
            found.append((words, asked))
    return found


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _only_keywords(words: list[str], keywords: frozenset[str]) -> bool:
    """True for "STOP", "stop stop", "STOP please", "Unsubscribe, thank you": keywords plus politeness."""
    has_keyword = any(word in keywords for word in words)
    return has_keyword and all(word in keywords or word in _POLITE_WORDS for word in words)
