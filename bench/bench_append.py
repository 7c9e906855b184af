"""Benchmark 3 — event append: events stored per second by the application's use cases under concurrent
load, against raw single-row INSERT+COMMIT on the same database.

    uv run python bench/bench_append.py [--quick] [--json result.json]

Subject: 8 threads sharing one `EventStore` (as a worker's threads do), each repeating what the
services write: a new lead as ingestion saves it (the `Lead`, its `TouchPointSchedule` and the
`OrderIntake` decision in one transaction), then the touch engine's claim (load the schedule and the
lead, decide, save) and its outcome (recorded on the aggregates it claimed with, as
`touches/dispatch.py` does), each through `EventStore.run` with optimistic concurrency. Baseline: 8 threads, each with
its own connection, inserting one event-sized row per transaction into a plain table. Target: events/s
>= 1.0 x rows/s. Runs alternate baseline and subject; the median run and the spread are reported.

Both run on a PostgreSQL cluster of the benchmark's own with the production defaults (fsync and
synchronous commit on), so "stored" means on disk; `--no-fsync` runs them on the test cluster instead,
whose commits skip the flush (for comparison: it flatters a commit per row).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from bench import scenario
from bench.stats import Figure, Report, Spread, ratio

from leadorch.app.eventstore.store import EventStore, open_event_store
from leadorch.domain.cadence import DEFAULT_PLAN, DEFAULT_WINDOW
from leadorch.domain.intake import OrderIntake, OrderVersion
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.values import Channel, Contact, Vehicle

THREADS = 8
TENANT = "bench-append"
# Monday 10:00 in Los Angeles: touch 1 is due at once.
MONDAY = datetime(2025, 6, 2, 17, 0, tzinfo=UTC)


def new_lead_and_first_touch(store: EventStore, serial: str) -> None:
    """Ingestion's save of a new lead, then the dispatcher's claim and its sent outcome."""
    order_id = f"order-{serial}"
    intake = OrderIntake.open(tenant_id=TENANT, order_id=order_id, at=MONDAY)
    lead = Lead.register(
        tenant_id=TENANT,
        location_id="la",
        crm_order_id=order_id,
        crm_customer_id=f"customer-{serial}",
        crm_vehicle_id=None,
        contact=Contact("Jane", "Doe", f"jane.{serial}@example.com", "+16195550142"),
        vehicle=Vehicle(2021, "Toyota", "Camry"),
        services=["Ceramic Tint"],
        email_consent=True,
        sms_consent=True,
        at=MONDAY,
    )
    schedule = TouchPointSchedule.start(
        tenant_id=TENANT,
        lead_id=str(lead.id),
        location_id="la",
        plan=DEFAULT_PLAN,
        window=DEFAULT_WINDOW,
        time_zone="America/Los_Angeles",
        email_ok=True,
        sms_ok=True,
        at=MONDAY,
    )
    intake.record_lead_created(
        OrderVersion(order_id, "crm-la", MONDAY - timedelta(seconds=30), "webhook"),
        lead_id=lead.id,
        at=MONDAY,
    )
    store.save(lead, schedule, intake)
    now = MONDAY + timedelta(seconds=1)
    held: list[Any] = []

    def claim() -> list[TouchPointSchedule]:
        loaded = store.load(schedule.id, TouchPointSchedule, TENANT)
        contact = store.load(lead.id, Lead, TENANT)
        claimed = loaded.claim_next_touch(now=now, claim_id=str(uuid4()))
        assert claimed is not None, "touch 1 must be due"
        held[:] = [loaded, contact, claimed.touch_number]
        return [loaded]

    def sent() -> list[TouchPointSchedule | Lead]:
        # As the dispatcher does: the outcome is recorded on the schedule and lead it claimed with.
        loaded, contact, touch = held
        for channel in (Channel.SMS, Channel.EMAIL):
            loaded.record_sent(
                touch_number=touch, channel=channel, provider_message_id=f"m-{serial}", now=now
            )
        contact.record_contacted(at=now)
        return [loaded, contact]

    store.run(claim)
    store.run(sent)


def run_subject(store: EventStore, seconds: float) -> float:
    """Events stored per second by THREADS threads running the use cases for `seconds`."""
    before = int(store.recorder.max_notification_id() or 0)
    stop_at = time.perf_counter() + seconds
    errors: list[BaseException] = []

    def loop(worker: int) -> None:
        count = 0
        try:
            while time.perf_counter() < stop_at:
                count += 1
                new_lead_and_first_touch(store, f"{os.getpid()}-{worker}-{count}-{uuid4().hex[:8]}")
        except BaseException as exc:  # reported after the run
            errors.append(exc)

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return (int(store.recorder.max_notification_id() or 0) - before) / elapsed


def run_baseline(database_url: str, seconds: float, payload: bytes) -> float:
    """Rows per second: THREADS threads, each INSERT one row + COMMIT on its own connection."""
    stop_at = time.perf_counter() + seconds
    counts = [0] * THREADS

    def loop(worker: int) -> None:
        with psycopg.connect(database_url) as conn:
            while time.perf_counter() < stop_at:
                conn.execute(
                    "INSERT INTO raw_events (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)",
                    (uuid4(), 1, "leadorch.domain.lead:Lead.Registered", payload),
                )
                conn.commit()
                counts[worker] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description="events stored per second vs raw INSERT+COMMIT")
    parser.add_argument("--quick", action="store_true", help="3 runs of 4 s instead of 5 runs of 10 s")
    parser.add_argument("--json", type=Path, help="also save the figures here")
    parser.add_argument(
        "--no-fsync",
        action="store_true",
        help="use the test cluster (fsync off) instead of a durable cluster of the benchmark's own",
    )
    args = parser.parse_args()
    runs, seconds = (3, 4.0) if args.quick else (5, 10.0)
    flags = (" --quick" if args.quick else "") + (" --no-fsync" if args.no_fsync else "")
    report = Report("event-append", "uv run python bench/bench_append.py" + flags)
    cluster = "the test cluster, fsync off" if args.no_fsync else "a durable cluster, fsync on"
    print(
        f"benchmark 3, event append ({runs} runs of {seconds:.0f} s, {THREADS} threads, PostgreSQL: {cluster})"
    )
    database = scenario.fresh_database() if args.no_fsync else scenario.durable_database()
    with database as database_url:
        store = open_event_store(database_url)
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE raw_events (id BIGSERIAL PRIMARY KEY, originator_id UUID NOT NULL, "
                "originator_version INTEGER NOT NULL, topic TEXT NOT NULL, state BYTEA NOT NULL, "
                "UNIQUE (originator_id, originator_version))"
            )
        payload = sample_state(store)
        new_lead_and_first_touch(store, "warm-up")
        run_baseline(database_url, 1.0, payload)
        subject_runs, baseline_runs = [], []
        for run in range(1, runs + 1):
            baseline_runs.append(run_baseline(database_url, seconds, payload))
            subject_runs.append(run_subject(store, seconds))
            print(
                f"  run {run}: raw INSERT+COMMIT {baseline_runs[-1]:,.0f} rows/s, "
                f"use cases {subject_runs[-1]:,.0f} events/s (ratio {subject_runs[-1] / baseline_runs[-1]:.2f})",
                flush=True,
            )
        store.close()
    ratios = Spread.of([ratio(s, b) for s, b in zip(subject_runs, baseline_runs, strict=True)])
    print(f"  baseline: {Spread.of(baseline_runs).text(unit='rows/s')}")
    print(f"  subject:  {Spread.of(subject_runs).text(unit='events/s')}")
    report.add(
        Figure("events/s ratio to raw INSERT+COMMIT rows/s", ratios, "x", ">= 1.0", ratios.median >= 1.0,
               {"baseline_rows_per_s": Spread.of(baseline_runs).__dict__,
                "subject_events_per_s": Spread.of(subject_runs).__dict__}),
    )  # fmt: skip
    report.note(f"payload of a baseline row: {len(payload)} bytes (a stored Lead.Registered)")
    report.note(f"PostgreSQL: {cluster}")
    report.save(args.json)
    return 0


def sample_state(store: EventStore) -> bytes:
    """The stored bytes of a real `Lead.Registered`, so baseline rows are event-sized."""
    new_lead_and_first_touch(store, "sample")
    for notification in store.recorder.select_notifications(start=1, limit=50):
        if notification.topic.endswith("Lead.Registered"):
            return bytes(notification.state)
    raise RuntimeError("no Lead.Registered stored")


if __name__ == "__main__":
    sys.exit(main())
