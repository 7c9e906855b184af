"""The clock port: the only way the application learns the time.

The domain never reads the time itself; the app asks a `Clock` and passes `now` in, so tests and the
demo can drive time forward deterministically.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the current instant as a timezone-aware UTC datetime."""

    def now(self) -> datetime: ...
