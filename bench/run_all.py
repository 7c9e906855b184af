"""Run every benchmark, one after the other, and print every figure against its target.

    uv run python bench/run_all.py          # quick mode: fewer, shorter runs (a few minutes)
    uv run python bench/run_all.py --full   # the full sizes BENCHMARKS.md reports (about half an hour)

Each benchmark runs as its own process (as it would by hand); a failing one is reported and the rest
still run. PostgreSQL is started the way the tests start it when `TEST_DATABASE_URL` is not set. The
replay and codec benchmarks (`bench_replay.py`, `bench_codec.py`) print their own figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WITH_FIGURES = (
    "bench_ingest",
    "bench_speed_to_lead",
    "bench_append",
    "bench_scheduler",
    "bench_chat",
    "bench_chat_calendar",
    "bench_sms_answer",
)
QUICK_PRINTING = (("bench_replay", []), ("bench_codec", []))
FULL_PRINTING = (("bench_replay", ["--events", "1000000"]), ("bench_codec", []))


def main() -> int:
    parser = argparse.ArgumentParser(description="every benchmark, one after the other")
    parser.add_argument("--full", action="store_true", help="full sizes instead of quick mode")
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="leadorch-bench-all-"))
    failed = []
    for name in WITH_FIGURES:
        extra = ["--memory-json", str(out / "memory.json")] if name == "bench_speed_to_lead" else []
        argv = [
            sys.executable,
            str(HERE / f"{name}.py"),
            *([] if args.full else ["--quick"]),
            "--json",
            str(out / f"{name}.json"),
            *extra,
        ]
        failed += _run(name, argv)
    for name, extra_args in FULL_PRINTING if args.full else QUICK_PRINTING:
        failed += _run(name, [sys.executable, str(HERE / f"{name}.py"), *extra_args])
    mode = "full sizes" if args.full else "quick mode; see BENCHMARKS.md for the full runs"
    print(f"\n=== summary ({mode}) ===")
    for path in sorted(out.glob("*.json")):
        report = json.loads(path.read_text())
        for figure in report["figures"]:
            value = figure["value"]
            verdict = "MET" if figure["met"] else "MISSED"
            print(
                f"{report['benchmark']:>14}  {figure['name']}: {value['median']:,.2f} {figure['unit']} "
                f"(runs {value['low']:,.2f}–{value['high']:,.2f})  target {figure['target']}  [{verdict}]"
            )
    if failed:
        print(f"benchmarks that failed to run: {', '.join(failed)}")
    return 1 if failed else 0


def _run(name: str, argv: list[str]) -> list[str]:
    print(f"\n--- {name} ---", flush=True)
    started = time.monotonic()
    code = subprocess.run(argv, check=False).returncode
    print(f"--- {name}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
    return [] if code == 0 else [name]


if __name__ == "__main__":
    sys.exit(main())
