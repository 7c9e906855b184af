"""One notice carried across a redirect ("Automation paused"), in a signed cookie read once.

After a form is handled the browser is redirected (so reloading never posts twice), and the page it
lands on shows what happened. The cookie is signed so nobody can make the console display their text.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from leadorch.app.console.signing import sign, unsign

FLASH_COOKIE = "leadorch_console_flash"
MAX_MESSAGE_LENGTH = 500
_PURPOSE = "console-flash"
KINDS = ("notice", "error")


@dataclass(frozen=True)
class Flash:
    kind: str  # "notice" | "error"
    message: str


def encode_flash(secret: str, flash: Flash) -> str:
    if flash.kind not in KINDS:
        raise ValueError(f"a flash is one of {', '.join(KINDS)}, not {flash.kind!r}")
    payload = msgspec.json.encode([flash.kind, flash.message[:MAX_MESSAGE_LENGTH]])
    return sign(secret, _PURPOSE, payload)


def decode_flash(secret: str, cookie: str | None) -> Flash | None:
    raw = unsign(secret, _PURPOSE, cookie)
    if raw is None:
        return None
    try:
        kind, message = msgspec.json.decode(raw, type=tuple[str, str])
    except msgspec.ValidationError:
        return None
    return Flash(kind, message) if kind in KINDS else None
