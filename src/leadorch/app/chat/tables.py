"""The chat's one plain table: sessions, each a random secret bound to one lead.

A session id is the customer's key to one conversation: 32 random bytes, so it cannot be guessed or
derived from the lead's id. It is issued when a valid chat link is opened and looked up by the link's
SHA-256 digest, so the same link reopens the same session (and the link itself is never stored).
"""

from __future__ import annotations

SCHEMA: list[str] = [
    """CREATE TABLE IF NOT EXISTS chat_sessions (
        session_id TEXT PRIMARY KEY,
        token_digest TEXT NOT NULL UNIQUE,
        tenant_id TEXT NOT NULL,
        lead_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS chat_sessions_by_lead ON chat_sessions (tenant_id, lead_id)",
]
