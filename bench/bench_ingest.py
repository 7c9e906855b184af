"""Benchmark 1 — ingest: durable ShopMonkey webhook acknowledgements per second.

    uv run python bench/bench_ingest.py [--quick] [--json result.json]

`leadorch serve` (PostgreSQL + Redis, as in production) receives signed ShopMonkey order deliveries;
each 2xx is sent only after the delivery is committed to the inbox and enqueued. The baseline, in the
same run, is a minimal Litestar app that parses the same JSON body and answers, served the same way
(`bench/baseline_app.py`). The load generator is a separate process on loopback (`bench/loadgen.py`).

Figures: throughput (closed loop, 32 connections) as a ratio to the baseline — target >= 0.5 — and
the acknowledgement latency at a steady 200 deliveries/s (open loop) — target p99 <= 50 ms. Runs
alternate baseline and subject so both see the same machine noise; the median run and the spread are
reported. No worker runs: the messages wait in Redis (ingestion's later work is benchmark 2's).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import scenario
from bench.loadgen import drive
from bench.stats import Figure, Report, Spread, percentile, ratio
from tests.support.processes import ChildProcess, free_port, start_api, start_python

LATENCY_RATE = 200.0
CONNECTIONS = 32


def ok_per_second(result: dict[str, Any]) -> tuple[float, int, int]:
    outcomes = result["outcomes"]
    ok = sum(1 for o in outcomes if 200 <= o["status"] < 300)
    return ok / float(result["elapsed"]), ok, len(outcomes) - ok


def latencies_ms(result: dict[str, Any]) -> list[float]:
    return [o["latency_from_due"] * 1000 for o in result["outcomes"] if 200 <= o["status"] < 300]


def main() -> int:
    parser = argparse.ArgumentParser(description="durable webhook acknowledgements vs a minimal Litestar app")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter runs")
    parser.add_argument("--json", type=Path, help="also save the figures here")
    args = parser.parse_args()
    runs = 3 if args.quick else 5
    burst = 2_000 if args.quick else 5_000
    steady_seconds = 8.0 if args.quick else 20.0
    report = Report("ingest", "uv run python bench/bench_ingest.py" + (" --quick" if args.quick else ""))
    work = Path(tempfile.mkdtemp(prefix="leadorch-bench-ingest-"))
    print(
        f"benchmark 1, ingest ({runs} runs of {burst:,} deliveries; {steady_seconds:.0f} s at {LATENCY_RATE:.0f}/s)"
    )

    with scenario.fresh_database() as database_url, scenario.dedicated_redis() as redis_url:
        scenario.configure_shop(database_url, shopmonkey_api_key="unused", time_zone="America/Los_Angeles")
        settings = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LEADORCH_LOG_LEVEL": "WARNING"}
        api = start_api(settings, work / "api.log")
        port = free_port()
        baseline = start_python(
            "baseline", [str(Path(__file__).with_name("baseline_app.py")), "--port", str(port)],
            work / "baseline.log", url=f"http://127.0.0.1:{port}",
        )  # fmt: skip
        baseline.wait_healthy()
        try:
            figures = measure(api, baseline, runs=runs, burst=burst, steady_seconds=steady_seconds, work=work)
            stored = count_inbox(database_url)
            report.note(f"inbox rows committed: {stored:,}; 2xx answers given: {figures['acked']:,}")
            if stored < figures["acked"]:
                report.note("FAILED: some acknowledged deliveries are not in the inbox")
                return 1
            api_peak = api.peak_memory_bytes() / 2**20
        finally:
            api.stop()
            baseline.stop()

    base, subject = Spread.of(figures["baseline_rps"]), Spread.of(figures["subject_rps"])
    ratios = Spread.of(
        [ratio(s, b) for s, b in zip(figures["subject_rps"], figures["baseline_rps"], strict=True)]
    )
    print(f"  baseline (minimal Litestar, JSON parse): {base.text(unit='req/s')}")
    print(f"  leadorch (verify + commit + enqueue):    {subject.text(unit='acks/s')}")
    report.add(
        Figure("throughput ratio to baseline", ratios, "x", ">= 0.5", ratios.median >= 0.5,
               {"baseline_rps": base.__dict__, "subject_rps": subject.__dict__}),
    )  # fmt: skip
    p50, p99 = Spread.of(figures["p50"]), Spread.of(figures["p99"])
    print(f"  ack latency at {LATENCY_RATE:.0f}/s: p50 {p50.text('{:.1f}', 'ms')}")
    report.add(
        Figure(f"p99 ack latency at {LATENCY_RATE:.0f}/s", p99, "ms", "<= 50 ms", p99.median <= 50), "{:.1f}"
    )
    report.note(f"API peak RSS after this run: {api_peak:.0f} MB")
    report.save(args.json)
    return 0


def measure(
    api: ChildProcess, baseline: ChildProcess, *, runs: int, burst: int, steady_seconds: float, work: Path
) -> dict[str, Any]:
    assert api.url is not None and baseline.url is not None
    at = datetime.now(UTC)
    serial = 1
    out: dict[str, Any] = {"baseline_rps": [], "subject_rps": [], "p50": [], "p99": [], "acked": 0}

    def deliveries(count: int) -> list[str]:
        nonlocal serial
        lines = scenario.delivery_lines(range(serial, serial + count), at)
        serial += count
        return lines

    warm = deliveries(300)  # the same requests warm both (the baseline does not store them)
    drive(baseline.url, warm, work, connections=8, duration=30, name="warm-baseline")
    result = drive(api.url, warm, work, connections=8, duration=30, name="warm-api")
    out["acked"] += ok_per_second(result)[1]
    for run in range(1, runs + 1):
        lines = deliveries(burst)
        base_rps, _, base_failed = ok_per_second(
            drive(baseline.url, lines, work, connections=CONNECTIONS, duration=60, name="baseline")
        )
        subject_rps, acked, failed = ok_per_second(
            drive(api.url, lines, work, connections=CONNECTIONS, duration=60, name="api")
        )
        out["acked"] += acked
        steady = drive(
            api.url, deliveries(int(LATENCY_RATE * steady_seconds)), work,
            rate=LATENCY_RATE, duration=steady_seconds + 1, name="steady",
        )  # fmt: skip
        out["acked"] += ok_per_second(steady)[1]
        lat = latencies_ms(steady)
        steady_failed = len(steady["outcomes"]) - len(lat)
        out["baseline_rps"].append(base_rps)
        out["subject_rps"].append(subject_rps)
        out["p50"].append(percentile(lat, 50))
        out["p99"].append(percentile(lat, 99))
        print(
            f"  run {run}: baseline {base_rps:,.0f} req/s, leadorch {subject_rps:,.0f} acks/s "
            f"(ratio {subject_rps / base_rps:.2f}; non-2xx {failed}/{base_failed}); at {LATENCY_RATE:.0f}/s "
            f"p50 {percentile(lat, 50):.1f} ms p99 {percentile(lat, 99):.1f} ms (non-2xx {steady_failed})",
            flush=True,
        )
    return out


def count_inbox(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM webhook_inbox WHERE tenant_id = %s", (scenario.TENANT,)
        ).fetchone()
    return int(row[0]) if row else 0


if __name__ == "__main__":
    sys.exit(main())
