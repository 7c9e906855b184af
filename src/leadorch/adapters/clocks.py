"""Clocks: the real one, and the demo's, which an operator may move forward to show the cadence."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class AdjustableClock:
    """Real time plus an offset that only grows (`advance`); used by the demo and by tests."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._fixed = start
        self._offset = timedelta()

    def now(self) -> datetime:
        with self._lock:
            base = self._fixed if self._fixed is not None else datetime.now(UTC)
            return base + self._offset

    @property
    def offset(self) -> timedelta:
        """How far `advance` has moved the clock so far."""
        with self._lock:
            return self._offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta():
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += delta
        return self.now()

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("instant must be timezone-aware")
        with self._lock:
            self._fixed = instant
            self._offset = timedelta()
