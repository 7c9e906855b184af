"""Run every benchmark in quick mode, one after the other, and print every figure against its target.

    uv run python bench/run_all.py

Each benchmark runs as its own process (as it would by hand); a failing one is reported and the rest
still run. PostgreSQL is started the way the tests start it when `TEST_DATABASE_URL` is not set. The
replay and codec benchmarks (`bench_replay.py`, `bench_codec.py`) print their own figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WITH_FIGURES = ("bench_ingest", "bench_speed_to_lead", "bench_append", "bench_scheduler", "bench_chat")
PRINTING = (("bench_replay", []), ("bench_codec", []))


def main() -> int:
    out = Path(tempfile.mkdtemp(prefix="leadorch-bench-all-"))
    failed = []
    for name in WITH_FIGURES:
        extra = ["--memory-json", str(out / "memory.json")] if name == "bench_speed_to_lead" else []
        argv = [
            sys.executable,
            str(HERE / f"{name}.py"),
            "--quick",
            "--json",
            str(out / f"{name}.json"),
            *extra,
        ]
        failed += _run(name, argv)
    for name, args in PRINTING:
        failed += _run(name, [sys.executable, str(HERE / f"{name}.py"), *args])
    print("\n=== summary (quick mode; see BENCHMARKS.md for the full runs) ===")
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
