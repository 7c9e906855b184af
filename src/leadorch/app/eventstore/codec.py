"""Event body encoding for the event store: msgspec MessagePack on the library's `Transcoder` interface.

Why MessagePack rather than the library's default JSON: msgspec encodes and decodes it several times
faster (replaying a million events is dominated by decoding), and its native timestamp extension gives
timezone-aware datetimes back as datetimes. Values msgspec would otherwise flatten to strings (UUID,
date, time, Decimal) are tagged as extension types on the way in (a walk on write only; reads decode them
in C through `ext_hook`), so every event round-trips to an equal event.
Sequences come back as lists and sets as lists; event fields are declared accordingly.

The library's stdlib-JSON transcoder stays selectable (`EVENT_CODEC=json`) for comparison and for
reading stores written with it; `bench/bench_codec.py` measures both.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import JSONTranscoder, Transcoder

_EXT_UUID = 1
_EXT_DATE = 2
_EXT_TIME = 3
_EXT_DECIMAL = 4


_AS_IS = frozenset({str, int, float, bool, type(None), bytes, datetime})


def _tag(obj: Any) -> Any:
    """Replace the values msgspec would flatten to strings by extension types (encode side only).

    Dispatches on the exact type first: nearly every value is a string, a number or a datetime, and
    this walk runs for every event written.
    """
    kind = type(obj)
    if kind in _AS_IS:
        return obj
    if kind is dict:
        return {key: _tag(value) for key, value in obj.items()}
    if kind is list or kind is tuple:
        return [_tag(value) for value in obj]
    if isinstance(obj, dict):
        return {key: _tag(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_tag(value) for value in obj]
    if isinstance(obj, (UUID, Decimal, time)) or (isinstance(obj, date) and not isinstance(obj, datetime)):
        return _enc_hook(obj)
    return obj


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, UUID):
        return msgspec.msgpack.Ext(_EXT_UUID, obj.bytes)
    if isinstance(obj, date) and not isinstance(obj, datetime):
        return msgspec.msgpack.Ext(_EXT_DATE, obj.isoformat().encode())
    if isinstance(obj, time):
        return msgspec.msgpack.Ext(_EXT_TIME, obj.isoformat().encode())
    if isinstance(obj, Decimal):
        return msgspec.msgpack.Ext(_EXT_DECIMAL, str(obj).encode())
    raise TypeError(f"cannot encode {type(obj).__name__} in an event body")


def _ext_hook(code: int, data: memoryview) -> Any:
    if code == _EXT_UUID:
        return UUID(bytes=bytes(data))
    if code == _EXT_DATE:
        return date.fromisoformat(bytes(data).decode())
    if code == _EXT_TIME:
        return time.fromisoformat(bytes(data).decode())
    if code == _EXT_DECIMAL:
        return Decimal(bytes(data).decode())
    raise ValueError(f"unknown extension type {code} in an event body")


class MsgspecTranscoder(Transcoder):
    """Encodes event state dicts as MessagePack with msgspec."""

    def __init__(self) -> None:
        self._encoder = msgspec.msgpack.Encoder(enc_hook=_enc_hook)
        self._decoder = msgspec.msgpack.Decoder(ext_hook=_ext_hook)

    def encode(self, obj: Any) -> bytes:
        return self._encoder.encode(_tag(obj))

    def decode(self, data: bytes) -> Any:
        return self._decoder.decode(data)


def json_transcoder() -> JSONTranscoder:
    """The library's default transcoder with the transcodings our events need."""
    from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, UUIDAsHex

    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), DecimalAsStr()):
        transcoder.register(transcoding)
    return transcoder


TRANSCODERS = {"msgspec": MsgspecTranscoder, "json": json_transcoder}


def build_transcoder(name: str = "msgspec") -> Transcoder:
    """The transcoder named by configuration (`EVENT_CODEC`)."""
    try:
        factory = TRANSCODERS[name]
    except KeyError:
        raise ValueError(f"EVENT_CODEC must be one of {sorted(TRANSCODERS)}, not {name!r}") from None
    return factory()
