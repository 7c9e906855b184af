"""How a read model declares its tables, so the same definition builds live tables and scratch copies.

A table's physical name is a prefix plus its logical name: the live read models use `LIVE_PREFIX`, and
`projections rebuild` / `verify` build the very same DDL under a scratch prefix, compare or swap, and
drop the copies. Types are the portable subset both PostgreSQL and SQLite understand; timestamps are
TEXT in one fixed-width ISO-8601 UTC form (see `instant`) so they sort and compare as text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

LIVE_PREFIX = "rm_"


@dataclass(frozen=True)
class Table:
    """One read-model table: columns `(name, SQL type)`, the primary key, and indexes `(suffix, columns)`."""

    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        names = tuple(name for name, _ in self.columns)
        missing = [column for column in self.key if column not in names]
        if missing:
            raise ValueError(f"table {self.name}: key columns {missing} are not among its columns")
        # Computed once: the batch checks every change against them, on the replay's hot path.
        object.__setattr__(self, "column_names", names)
        object.__setattr__(self, "column_set", frozenset(names))
        object.__setattr__(self, "key_set", frozenset(self.key))
        object.__setattr__(self, "updatable", frozenset(names) - frozenset(self.key))
        object.__setattr__(self, "key_of", _key_getter(self.key))

    column_names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    column_set: frozenset[str] = field(init=False, repr=False, compare=False)
    key_set: frozenset[str] = field(init=False, repr=False, compare=False)
    updatable: frozenset[str] = field(init=False, repr=False, compare=False)
    key_of: Callable[[Mapping[str, Any]], tuple[Any, ...]] = field(init=False, repr=False, compare=False)

    def physical(self, prefix: str) -> str:
        return f"{prefix}{self.name}"

    def ddl(self, prefix: str, *, indexes: bool = True) -> list[str]:
        """The table with its primary key, then (unless `indexes` is false) its other indexes."""
        table = self.physical(prefix)
        columns = ", ".join(f"{name} {sql_type}" for name, sql_type in self.columns)
        statements = [f"CREATE TABLE IF NOT EXISTS {table} ({columns}, PRIMARY KEY ({', '.join(self.key)}))"]
        return statements + self.index_ddl(prefix) if indexes else statements

    def index_ddl(self, prefix: str) -> list[str]:
        """The indexes besides the primary key: the queries need them, a replay only slows down by them."""
        table = self.physical(prefix)
        return [
            f"CREATE INDEX IF NOT EXISTS {table}_{suffix} ON {table} ({columns_sql})"
            for suffix, columns_sql in self.indexes
        ]

    def drop(self, prefix: str) -> str:
        return f"DROP TABLE IF EXISTS {self.physical(prefix)}"


def _key_getter(key: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function giving a row's key as a tuple (the batch asks it of every row put)."""
    if len(key) == 1:
        (column,) = key
        return lambda row: (row[column],)
    return itemgetter(*key)  # several items: a tuple


def instant(moment: datetime | None) -> str | None:
    """A timestamp as stored in read models: ISO-8601 in UTC with microseconds (fixed width, sortable)."""
    global _last
    last = _last  # (one tuple, replaced whole: threads never see a moment with another's text)
    if moment is last[0]:  # the same event's timestamp, asked by the next read model
        return last[1]
    if moment is None:
        return None
    # Remembered: several read models format the same event's instants in turn, on the replay's hot
    # path (a dict lookup, no further call). Equal instants in other zones share an entry, which is
    # right: the text is the UTC form either way.
    text = _INSTANTS.get(moment)
    if text is None:
        text = _instant(moment)
        if len(_INSTANTS) >= _INSTANTS_KEPT:
            _INSTANTS.clear()
        _INSTANTS[moment] = text
    _last = (moment, text)
    return text


_INSTANTS_KEPT = 4096
_INSTANTS: dict[datetime, str] = {}
_last: tuple[datetime | None, str | None] = (None, None)


def _instant(moment: datetime) -> str:
    if moment.tzinfo is not UTC:
        if moment.tzinfo is None:
            raise ValueError(f"read models store timezone-aware instants only, got naive {moment!r}")
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def parse_instant(text: str | None) -> datetime | None:
    """The inverse of `instant`."""
    return None if text is None else datetime.fromisoformat(text)
