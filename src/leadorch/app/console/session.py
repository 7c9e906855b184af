"""Who is logged in to the console: a signed, expiring session cookie, and the CSRF tokens it implies.

Logging in takes the same tokens as the API (the operator's admin token or a tenant's API token), so the
console sees exactly what that token may see (`Principal.may_access`). The cookie holds the principal,
the name the person typed (for the audit) and an expiry, signed with `LEADORCH_SECRET_KEY`: it cannot be
forged or extended, and it carries no token. Forms that change something carry a CSRF token derived
from the session's random nonce, so another site can never submit them on the operator's behalf.

Expiry uses the wall clock, not the application clock: advancing the demo clock by days must not log
the operator out.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

import msgspec

from leadorch.app.console.signing import keyed_digest, sign, unsign
from leadorch.app.http.auth import Principal

SESSION_COOKIE = "leadorch_console"
LOGIN_COOKIE = "leadorch_console_login"
SESSION_SECONDS = 12 * 3600
MAX_NAME_LENGTH = 80
_PURPOSE = "console-session"
_CSRF_PURPOSE = "console-csrf"


class _Payload(msgspec.Struct, frozen=True):
    tenant_id: str | None
    name: str
    expires_at: int
    nonce: str


@dataclass(frozen=True)
class ConsoleSession:
    """A logged-in console user: the operator (`tenant_id` None) or one tenant."""

    tenant_id: str | None
    name: str
    expires_at: int
    nonce: str

    @property
    def principal(self) -> Principal:
        """The same principal the API would see for the token used to log in."""
        token_name = "admin-token" if self.tenant_id is None else f"tenant-token:{self.tenant_id}"
        actor = f"{self.name} via console ({token_name})" if self.name else f"console ({token_name})"
        return Principal(tenant_id=self.tenant_id, actor=actor)


def issue_session(
    secret: str, *, tenant_id: str | None, name: str, now: float, seconds: int = SESSION_SECONDS
) -> tuple[ConsoleSession, str]:
    """A new session and its cookie value, valid for `seconds` from `now` (epoch seconds)."""
    session = ConsoleSession(
        tenant_id=tenant_id,
        name=" ".join(name.split())[:MAX_NAME_LENGTH],
        expires_at=int(now) + seconds,
        nonce=secrets.token_urlsafe(16),
    )
    payload = _Payload(session.tenant_id, session.name, session.expires_at, session.nonce)
    return session, sign(secret, _PURPOSE, msgspec.json.encode(payload))


def read_session(secret: str, cookie: str | None, *, now: float) -> ConsoleSession | None:
    """The session a cookie value stands for, or None when it is missing, forged or expired."""
    raw = unsign(secret, _PURPOSE, cookie)
    if raw is None:
        return None
    try:
        payload = msgspec.json.decode(raw, type=_Payload)
    except msgspec.ValidationError:
        return None
    if payload.expires_at <= now:
        return None
    return ConsoleSession(payload.tenant_id, payload.name, payload.expires_at, payload.nonce)


def csrf_token(secret: str, session: ConsoleSession) -> str:
    """The token every state-changing form of this session carries."""
    return keyed_digest(secret, _CSRF_PURPOSE, session.nonce)


def csrf_matches(secret: str, session: ConsoleSession, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(str(token), csrf_token(secret, session))


def new_login_nonce() -> str:
    """The login form's double-submit value (a cookie and a hidden field that must match)."""
    return secrets.token_urlsafe(16)
