"""How fast do the read models rebuild from the log, compared with merely reading the log?

Writes N events of realistic lead histories (`histories.py`: a few thousand distinct lives driven
through the domain, repeated under fresh ids to reach N) into a fresh store, then times
1. a raw read of the whole log (`select_notifications` in pages: the floor any replay pays), and
2. `projections rebuild` of every read model (read, decode, project, write, swap in),
and prints both rates and their ratio, per wall-clock second and per CPU-second (on a shared machine the
second says what the work costs, the first also how much of the CPU other processes took).

    uv run python bench/bench_replay.py                    # 50,000 events on SQLite, quick
    uv run python bench/bench_replay.py --events 1000000   # the full figure (writing takes a while)
    uv run python bench/bench_replay.py --database-url postgresql://postgres@127.0.0.1:54329/bench
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from histories import default_setups, whole_life

from leadorch.app.bootstrap import bootstrap
from leadorch.app.projections.rebuild import cycle_collector_paused, rebuild
from leadorch.app.projections.registry import all_projections
from leadorch.app.settings import load_settings

MAX_DISTINCT_LIVES = 3000
WRITE_CHUNK = 5000
READ_PAGE = 5000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=50_000, help="events to write (default 50,000)")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--codec", choices=("msgspec", "json"), default="msgspec")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="rebuild in this many processes (default 1)")
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be at least 1")
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='leadorch-bench-')}/bench.db"
    container = bootstrap(load_settings({}, database_url=url, event_codec=args.codec))
    try:
        if container.store.recorder.max_notification_id():
            parser.error(f"{url} already holds events: give an empty database")
        started = time.perf_counter()
        written = write_events(container.store, args.events, random.Random(args.seed))
        print(
            f"wrote {written:,} events in {time.perf_counter() - started:.1f} s ({url.split('://')[0]}, {args.codec})"
        )

        started, cpu = time.perf_counter(), _cpu_seconds()
        read = read_raw(container.store)
        raw_seconds, raw_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        print(
            f"raw read of the log: {read:,} events in {raw_seconds:.2f} s = {read / raw_seconds:,.0f} events/s"
            f" ({read / raw_cpu:,.0f} per CPU-second)"
        )
        # The rebuild pauses the cycle collector; the same read with it paused too, for comparison.
        with cycle_collector_paused():
            started, cpu = time.perf_counter(), _cpu_seconds()
            read_raw(container.store)
            paused_seconds, paused_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        print(
            f"raw read, collector paused: {paused_seconds:.2f} s = {read / paused_seconds:,.0f} events/s"
            f" ({read / paused_cpu:,.0f} per CPU-second)"
        )

        started, cpu = time.perf_counter(), _cpu_seconds()
        rebuild(
            container.db,
            container.store,
            all_projections(),
            workers=args.workers,
            database_url=url,
            codec=args.codec,
        )
        rebuild_seconds, rebuild_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        print(
            f"rebuild of all read models in {args.workers} process(es): {rebuild_seconds:.2f} s"
            f" = {written / rebuild_seconds:,.0f} events/s ({written / rebuild_cpu:,.0f} per CPU-second)"
        )
        print(
            f"rebuild rate / raw read rate: {raw_seconds / rebuild_seconds:.3f}x"
            f" ({raw_cpu / rebuild_cpu:.3f}x per CPU-second; target >= 0.25)"
        )
        print(
            f"rebuild rate / raw read rate with the collector paused: {paused_seconds / rebuild_seconds:.3f}x"
            f" ({paused_cpu / rebuild_cpu:.3f}x per CPU-second)"
        )
    finally:
        container.close()
    return 0


def write_events(store: Any, count: int, rng: random.Random) -> int:
    """Write `count` events: distinct lives first, then copies of them under fresh aggregate ids."""
    lives = list(_lives(count, rng))
    written = 0
    chunk: list[Any] = []
    for copy in range(count):
        for life in lives:
            renamed = _renamed(life, rng) if copy else life
            for event in renamed:
                if written + len(chunk) >= count:
                    break
                chunk.append(store.mapper.to_stored_event(event))
            if len(chunk) >= WRITE_CHUNK or written + len(chunk) >= count:
                store.recorder.insert_events(chunk)
                written += len(chunk)
                chunk = []
            if written >= count:
                return written
    return written


def _lives(count: int, rng: random.Random) -> Iterator[list[Any]]:
    """The events of distinct lives (about 32 events each), in recording order."""
    wanted = min(MAX_DISTINCT_LIVES, count // 30 + 1)
    for setup in default_setups(wanted, rng):
        record = whole_life(setup, random.Random(rng.getrandbits(64)))
        yield [event for aggregate in record.aggregates() for event in aggregate.collect_events()]


def _renamed(events: list[Any], rng: random.Random) -> list[Any]:
    """The same life under fresh aggregate ids (references between its aggregates follow)."""
    new_ids: dict[UUID, UUID] = {}
    for event in events:
        new_ids.setdefault(event.originator_id, UUID(int=rng.getrandbits(128), version=4))
    as_text = {str(old): str(new) for old, new in new_ids.items()}
    copies = []
    for event in events:
        state = {
            key: new_ids.get(value, value)
            if isinstance(value, UUID)
            else as_text.get(value, value)
            if isinstance(value, str)
            else value
            for key, value in vars(event).items()
        }
        copy = object.__new__(type(event))
        object.__setattr__(copy, "__dict__", state)
        copies.append(copy)
    return copies


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children: on a busy machine it shows what the work
    costs, where wall-clock time also shows how much of the CPU other processes took."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def read_raw(store: Any) -> int:
    """Page through the whole log without decoding: what any replay must at least do."""
    read, position = 0, 0
    while True:
        page = store.recorder.select_notifications(start=position + 1, limit=READ_PAGE)
        if not page:
            return read
        read += len(page)
        position = page[-1].id


if __name__ == "__main__":
    sys.exit(main())
