"""Which inbound texts Twilio answers itself, so that we never answer a second time.

Twilio's default handling on long codes and toll-free numbers matches a message only when the whole
body, trimmed of whitespace and in any letter case, is one keyword: "STOP" is Twilio's, "STOP." or
"Stop!" or "STOP 🙏" is not (Twilio neither blocks the number nor replies), so those get our own one
confirmation. HELP and INFO are answered by Twilio's default handling too, and by an Advanced Opt-Out
configuration unless the operator removed them: the deployment says which (`TWILIO_ANSWERS_HELP`).
"""

from __future__ import annotations

OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})


def twilio_keyword(body: str) -> str | None:
    """The keyword Twilio itself acts on for this inbound `body`, or None."""
    word = body.strip().upper()
    return word if word in OPT_OUT_KEYWORDS | OPT_IN_KEYWORDS | HELP_KEYWORDS else None


def twilio_answers(body: str, *, answers_help: bool) -> bool:
    """Whether Twilio sends its own reply to `body` (then we send none)."""
    keyword = twilio_keyword(body)
    if keyword is None:
        return False
    return answers_help or keyword not in HELP_KEYWORDS
