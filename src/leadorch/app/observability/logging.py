"""Structured JSON logs, one event per line, with correlation ids and nothing private in them.

Correlation ids (webhook delivery id, lead id, touch id, tenant) live in a context variable set with
`bind(...)`; every log line carries whatever is bound. Values that look like secrets, e-mail addresses or
phone numbers are masked on the way out, so a careless `log.info("%s", customer)` cannot leak them.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

_context: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("leadorch_log_context", default={})  # noqa: B039

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
# Phone numbers as they are written, and nothing else made of digits: E.164 (`+16195550142`, also with
# spaces or dashes between groups) and the North American ways of writing one (`(619) 555-0142`,
# `619-555-0142`, `619.555.0142`). Never a bare digit run, so IP addresses, dates, UUIDs, Unix times,
# Twilio SIDs and delivery ids stay readable: an operator follows a delivery by them. The look-arounds
# keep a match from starting or ending inside a longer token (a UUID's groups, an IP's octets).
_PHONE = re.compile(
    r"(?<![\w.+-])"
    r"(?:(?:\+|%2[Bb])[1-9](?:[\s-]?\d){6,14}"
    r"|(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4})"
    r"(?![\w-]|\.\d)"
)
_SECRET = re.compile(
    r"(whsec_[A-Za-z0-9+/=]+|sk-ant-[A-Za-z0-9_-]+|SG\.[A-Za-z0-9_.-]+|Bearer\s+[A-Za-z0-9._~+/=-]+|AC[0-9a-f]{32})"
)


def mask(text: str) -> str:
    """Mask secrets, e-mail addresses and phone numbers in free text."""
    text = _SECRET.sub("[secret]", text)
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return _PHONE.sub(lambda m: "[phone …" + re.sub(r"\D", "", m.group(0))[-2:] + "]", text)


IdsToken = contextvars.Token[dict[str, str]]


@contextmanager
def bind(**ids: object) -> Iterator[None]:
    """Attach correlation ids to every log line written inside the block."""
    token = push_ids(**ids)
    try:
        yield
    finally:
        pop_ids(token)


def push_ids(**ids: object) -> IdsToken:
    """`bind` for callers that cannot wrap a block (a job's before/after hooks): pair with `pop_ids`."""
    return _context.set({**_context.get(), **{k: str(v) for k, v in ids.items() if v is not None}})


def pop_ids(token: IdsToken) -> None:
    """Restore the ids bound before the matching `push_ids` (call it in the same thread)."""
    _context.reset(token)


def bound_ids() -> dict[str, str]:
    """The correlation ids bound right now (a copy)."""
    return dict(_context.get())


def log_reference(secret_id: str) -> str:
    """A short, stable stand-in for an id that is itself a credential (a chat session id), safe to log:
    the same id always gives the same reference, and the reference cannot be used to act as the id."""
    return hashlib.sha256(secret_id.encode()).hexdigest()[:12]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask(record.getMessage()),
            **_context.get(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update({k: mask(str(v)) for k, v in extra.items()})
        if record.exc_info:
            entry["exc"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(f"{k}={v}" for k, v in _context.get().items())
        line = f"{record.levelname[0]} {record.name}: {mask(record.getMessage())}" + (
            f" [{ids}]" if ids else ""
        )
        if record.exc_info:
            line += "\n" + mask(self.formatException(record.exc_info))
        return line


def configure_logging(level: str = "INFO", *, json_lines: bool = True, stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else PlainFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # A library's `warnings.warn` at start-up (a deprecation, an insecure setting) is a log line like
    # any other: JSON, masked, on the same stream, not a bare line on stderr.
    logging.captureWarnings(True)
    for noisy in (
        "httpx",
        "httpcore",
        "urllib3",
        "twilio.http_client",
        "python_http_client",  # SendGrid's client: at DEBUG it logs whole request payloads (links, names)
        "dramatiq",
        "uvicorn.access",
        "anthropic",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
