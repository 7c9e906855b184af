"""Chat sessions: the unguessable key a customer's page uses after opening a valid chat link.

Opening `/chat/{token}` verifies the signed token (`app/links.py`) and issues a session id: random,
stored with the tenant and lead it is bound to, valid for `SESSION_LIFETIME`. Every later request names
only the session id, which grants access to that one lead's conversation and nothing else. The same
token reopens the same session (looked up by the token's digest); once a session has expired, the link
(if still valid) issues a fresh one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadorch.app.chat.errors import SessionExpired, SessionNotFound
from leadorch.app.db import Database
from leadorch.app.projections.tables import instant, parse_instant

SESSION_LIFETIME = timedelta(days=7)
_MAX_ID_LENGTH = 128


@dataclass(frozen=True)
class ChatSession:
    """A valid session: whose conversation it opens."""

    session_id: str
    tenant_id: str
    lead_id: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ChatSessions:
    """Issues and resolves session ids."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def issue(self, token: str, tenant_id: str, lead_id: str, now: datetime) -> ChatSession:
        """The session of `token` (a verified chat link): the existing one, or a new one."""
        digest = token_digest(token)
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT session_id, tenant_id, lead_id, expires_at FROM chat_sessions WHERE token_digest = %s",
                (digest,),
            )
            row = cur.fetchone()
            if row is not None and row[1] == tenant_id and row[2] == lead_id:
                expires = parse_instant(row[3])
                if expires is not None and now < expires:
                    return ChatSession(session_id=row[0], tenant_id=tenant_id, lead_id=lead_id)
            if row is not None:
                cur.execute("DELETE FROM chat_sessions WHERE token_digest = %s", (digest,))
            session_id = secrets.token_urlsafe(32)
            cur.execute(
                "INSERT INTO chat_sessions (session_id, token_digest, tenant_id, lead_id, created_at, expires_at) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (token_digest) DO NOTHING",
                (session_id, digest, tenant_id, lead_id, instant(now), instant(now + SESSION_LIFETIME)),
            )
            cur.execute("SELECT session_id FROM chat_sessions WHERE token_digest = %s", (digest,))
            stored = cur.fetchone()
        # Two first opens of one link at once: both get the session that was stored first.
        return ChatSession(
            session_id=stored[0] if stored else session_id, tenant_id=tenant_id, lead_id=lead_id
        )

    def resolve(self, session_id: str, now: datetime) -> ChatSession:
        """The session `session_id` names; `SessionNotFound` or `SessionExpired` otherwise."""
        if not session_id or len(session_id) > _MAX_ID_LENGTH:
            raise SessionNotFound("no such chat session")
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT tenant_id, lead_id, expires_at FROM chat_sessions WHERE session_id = %s",
                (session_id,),
            )
            row = cur.fetchone()
        if row is None:
            raise SessionNotFound("no such chat session; open the chat link again")
        expires = parse_instant(row[2])
        if expires is None or now >= expires:
            raise SessionExpired("this chat session has expired; open the chat link again")
        return ChatSession(session_id=session_id, tenant_id=row[0], lead_id=row[1])
