"""Benchmark 5 — the scheduler at scale: the due-touch query over 100,000 active leads, and dispatch rate.

    uv run python bench/bench_scheduler.py [--quick] [--leads N] [--json result.json]

On PostgreSQL: N leads (100,000; `--quick` 10,000) arrive over the 30 days before "now", each saved with
its touch schedule as ingestion saves them, 90% of them already past touch 1; the projections build
the `due_touches` read model from those events. Then:
1. `due_touches(db, now, 500)` (the tick's query) is timed 50 times per run; baseline in the same run:
   a primary-key lookup on the same table (the floor of any query's round trip). Target <= 10 ms.
2. 8 threads dispatch due touches (claim, render, send over the official SDKs to the SendGrid and Twilio
   stand-ins, which run in a process of their own as the real providers would be elsewhere, record) for
   a fixed time; baseline: the same threads only sending the same number of
   messages straight through the adapters. Target >= 200 touches/s.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import scenario
from bench.stats import Figure, Report, Spread, percentile
from tests.support.processes import free_port, start_python
from tests.support.touch_world import LOCATION, SHOP_NUMBER, TENANT, TouchWorld, touch_world

from leadorch.adapters.standins.sendgrid import API_KEY as SENDGRID_KEY
from leadorch.adapters.standins.twilio import ACCOUNT_SID, AUTH_TOKEN
from leadorch.app.projections.due_touches import DUE_TOUCHES
from leadorch.app.projections.tables import LIVE_PREFIX
from leadorch.app.readmodels.due_touches import due_touches
from leadorch.app.touches.dispatch import dispatch_touch
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.values import Contact, Vehicle
from leadorch.ports.messaging import SmsMessage

THREADS = 8
CHUNK = 500


class ProvidersProcess:
    """The SendGrid and Twilio stand-ins in a child process (`bench/providers.py`), as `touch_world`
    takes them: in production they are other machines, not threads of the dispatching process."""

    def __init__(self, work: Path) -> None:
        self.sendgrid_port, self.twilio_port = free_port(), free_port()
        self.child = start_python(
            "providers",
            [str(Path(__file__).with_name("providers.py")),
             "--sendgrid-port", str(self.sendgrid_port), "--twilio-port", str(self.twilio_port),
             "--twilio-number", SHOP_NUMBER],
            work / "providers.log",
        )  # fmt: skip
        self.child.wait_for_log("providers ready", timeout=60)

    def settings(self) -> dict[str, str]:
        return {
            "sendgrid_api_key": SENDGRID_KEY,
            "sendgrid_host": f"http://127.0.0.1:{self.sendgrid_port}",
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_base_url": f"http://127.0.0.1:{self.twilio_port}",
        }

    def reset(self) -> None:
        pass

    def stop(self) -> None:
        self.child.stop()


def populate(world: TouchWorld, leads: int, rng: random.Random) -> None:
    """`leads` leads with their schedules over the last 30 days, most already past touch 1."""
    now = world.clock.now()
    tenant = world.container.config.tenant(TENANT)
    location = world.container.config.location(TENANT, LOCATION)
    batch: list[object] = []
    for serial in range(leads):
        at = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
        lead = Lead.register(
            tenant_id=TENANT,
            location_id=LOCATION,
            crm_order_id=f"order-{serial}",
            crm_customer_id=f"customer-{serial}",
            crm_vehicle_id=None,
            contact=Contact(
                "Jane",
                "Doe",
                f"jane.{serial}@example.com",
                f"+1512{200 + serial // 10_000:03d}{serial % 10_000:04d}",
            ),
            vehicle=Vehicle(2021, "Toyota", "Camry"),
            services=["Ceramic Tint"],
            email_consent=True,
            sms_consent=True,
            at=at,
        )
        schedule = TouchPointSchedule.start(
            tenant_id=TENANT,
            lead_id=str(lead.id),
            location_id=LOCATION,
            plan=tenant.touch_plan(),
            window=location.sending_window(),
            time_zone=location.time_zone,
            email_ok=True,
            sms_ok=True,
            at=at,
        )
        if rng.random() < 0.9 and schedule.next_due_at is not None:
            due = max(schedule.next_due_at, at)
            claimed = schedule.claim_next_touch(now=due, claim_id=str(uuid4()))
            if claimed is not None:
                for channel in sorted(claimed.channels):
                    schedule.record_sent(
                        touch_number=claimed.touch_number,
                        channel=channel,
                        provider_message_id=f"m-{serial}",
                        now=due,
                    )
        batch += [lead, schedule]
        if len(batch) >= CHUNK * 2:
            world.container.store.save(*batch)  # type: ignore[arg-type]
            batch = []
    if batch:
        world.container.store.save(*batch)  # type: ignore[arg-type]
    world.catch_up()


def time_query(world: TouchWorld, samples: int = 50) -> tuple[list[float], list[float]]:
    table = DUE_TOUCHES.physical(LIVE_PREFIX)
    now = world.clock.now()
    with world.container.db.transaction() as cur:
        cur.execute(f"SELECT schedule_id FROM {table} LIMIT 1")
        some = cur.fetchone()
    assert some is not None, "the read model is empty"
    query, lookup = [], []
    for _ in range(samples):
        started = time.perf_counter()
        found = due_touches(world.container.db, now, 500)
        query.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        with world.container.db.transaction() as cur:
            cur.execute(f"SELECT schedule_id, due_at FROM {table} WHERE schedule_id = %s", (some[0],))
            cur.fetchall()
        lookup.append((time.perf_counter() - started) * 1000)
    assert found, "nothing is due"
    return query, lookup


def in_threads(work: list[object], action: object, seconds: float) -> tuple[int, float]:
    """Run `action(item)` over `work` in THREADS threads until done or `seconds` pass; (done, elapsed)."""
    lock, done, items = threading.Lock(), [0], list(work)
    stop_at = time.perf_counter() + seconds

    def loop() -> None:
        while time.perf_counter() < stop_at:
            with lock:
                if not items:
                    return
                item = items.pop()
            action(item)  # type: ignore[operator]
            with lock:
                done[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=loop) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0], time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description="due-touch query and dispatch rate at scale")
    parser.add_argument("--quick", action="store_true", help="10,000 leads, 3 runs")
    parser.add_argument("--leads", type=int, help="active leads (default 100,000; --quick 10,000)")
    parser.add_argument("--json", type=Path, help="also save the figures here")
    args = parser.parse_args()
    leads = args.leads or (10_000 if args.quick else 100_000)
    runs, seconds = (3, 5.0) if args.quick else (5, 10.0)
    report = Report(
        "scheduler", "uv run python bench/bench_scheduler.py" + (" --quick" if args.quick else "")
    )
    print(f"benchmark 5, scheduler ({leads:,} active leads; {runs} runs)")
    providers = ProvidersProcess(Path(tempfile.mkdtemp(prefix="leadorch-bench-scheduler-")))
    try:
        measure(leads, runs, seconds, report, providers)
    finally:
        providers.stop()
    report.save(args.json)
    return 0


def measure(leads: int, runs: int, seconds: float, report: Report, providers: ProvidersProcess) -> int:
    with scenario.fresh_database() as database_url, touch_world(database_url, providers=providers) as world:  # type: ignore[arg-type]
        started = time.perf_counter()
        populate(world, leads, random.Random(5))
        print(f"  populated in {time.perf_counter() - started:.0f} s", flush=True)
        query_p50, query_p99, lookup_p50, rates, floor_rates = [], [], [], [], []
        messenger = world.container.messenger
        for run in range(1, runs + 1):
            query, lookup = time_query(world)
            query_p50.append(percentile(query, 50))
            query_p99.append(percentile(query, 99))
            lookup_p50.append(percentile(lookup, 50))
            due = due_touches(world.container.db, world.clock.now(), 500)
            done, elapsed = in_threads(
                due, lambda d: dispatch_touch(world.container, d.tenant_id, d.schedule_id), seconds
            )
            rates.append(done / elapsed)
            world.catch_up()
            sms = [
                SmsMessage(
                    to=f"+1512300{n:04d}",
                    body="Hi from Sun Shield",
                    from_number=SHOP_NUMBER,
                    idempotency_key=str(uuid4()),
                )
                for n in range(done)
            ]
            sent, floor_elapsed = in_threads(sms, messenger.send_sms, seconds)
            floor_rates.append(sent / floor_elapsed)
            print(
                f"  run {run}: due-touch query p50 {query_p50[-1]:.1f} ms p99 {query_p99[-1]:.1f} ms "
                f"(pk lookup p50 {lookup_p50[-1]:.1f} ms); dispatch {rates[-1]:,.0f} touches/s "
                f"(provider floor {floor_rates[-1]:,.0f} sends/s)",
                flush=True,
            )
    q = Spread.of(query_p50)
    report.add(Figure("due-touch query p50", q, "ms", "<= 10 ms", q.median <= 10,
                      {"p99_ms": Spread.of(query_p99).__dict__, "baseline_pk_lookup_ms": Spread.of(lookup_p50).__dict__,
                       "ratio_to_baseline": q.median / Spread.of(lookup_p50).median}), "{:.1f}")  # fmt: skip
    r = Spread.of(rates)
    report.add(Figure("dispatch rate", r, "touches/s", ">= 200/s", r.median >= 200,
                      {"baseline_provider_sends_per_s": Spread.of(floor_rates).__dict__,
                       "ratio_to_baseline": r.median / Spread.of(floor_rates).median}), "{:,.0f}")  # fmt: skip
    report.note(f"{leads:,} active leads; the providers' stand-ins in a process of their own")
    return 0


if __name__ == "__main__":
    sys.exit(main())
