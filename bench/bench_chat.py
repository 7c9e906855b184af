"""Benchmark 6 — chat turn overhead: a customer's chat message answered by the offline assistant, i.e.
everything a turn costs except the language model (session load, rules, tools, the saved events).

    uv run python bench/bench_chat.py [--quick] [--json result.json]

On PostgreSQL, leads made as ingestion makes them, one chat session each (opened from the lead's
signed chat link); turns are `ChatService.post_message` calls, round-robin over the sessions (the
HTTP layer's per-client rate limits are not what is measured). Baseline in the same run: reading the
same sessions (`ChatService.session_view`: load and render, no decision, nothing saved) — the floor of
touching a session at all. Target: p99 <= 30 ms.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import scenario
from bench.stats import Figure, Report, Spread, percentile
from tests.support.touch_world import TENANT, touch_world

MESSAGES = (
    "How much is ceramic tint for my car?",
    "Do you have anything Saturday morning?",
    "What's the difference between premium and ceramic?",
    "Can I book for next Tuesday at 10?",
    "How long does it take?",
)


def main() -> int:
    parser = argparse.ArgumentParser(description="chat turn latency with the offline assistant")
    parser.add_argument("--quick", action="store_true", help="3 runs of 60 turns instead of 5 runs of 200")
    parser.add_argument("--json", type=Path, help="also save the figures here")
    args = parser.parse_args()
    runs, turns = (3, 60) if args.quick else (5, 200)
    report = Report("chat-turn", "uv run python bench/bench_chat.py" + (" --quick" if args.quick else ""))
    print(f"benchmark 6, chat turn overhead ({runs} runs of {turns} turns, offline assistant, PostgreSQL)")
    p50s, p99s, base99 = [], [], []
    with scenario.fresh_database() as database_url, touch_world(database_url) as world:
        service = world.container.chat
        links = world.container.links
        sessions = []
        for _ in range(turns // 4):
            lead_id, _ = world.new_lead()
            token = links.chat_token(TENANT, lead_id, world.clock.now() + timedelta(days=7))
            sessions.append(service.open_session(token).session_id)
        service.post_message(sessions[0], MESSAGES[0])  # warm-up
        for run in range(1, runs + 1):
            took = []
            for turn in range(turns):
                started = time.perf_counter()
                service.post_message(sessions[turn % len(sessions)], MESSAGES[turn % len(MESSAGES)])
                took.append((time.perf_counter() - started) * 1000)
                world.clock.advance(timedelta(seconds=5))
            p50s.append(percentile(took, 50))
            p99s.append(percentile(took, 99))
            reads = []
            for turn in range(turns):
                started = time.perf_counter()
                service.session_view(sessions[turn % len(sessions)])
                reads.append((time.perf_counter() - started) * 1000)
            base99.append(percentile(reads, 99))
            print(
                f"  run {run}: p50 {p50s[-1]:.1f} ms, p99 {p99s[-1]:.1f} ms (reading a session: p99 {base99[-1]:.1f} ms)"
            )
    p99 = Spread.of(p99s)
    print(f"  p50 {Spread.of(p50s).text('{:.1f}', 'ms')}")
    report.add(
        Figure("p99 chat turn (everything but the model)", p99, "ms", "<= 30 ms", p99.median <= 30,
               {"baseline_session_read_p99_ms": Spread.of(base99).__dict__,
                "ratio_to_baseline": p99.median / Spread.of(base99).median}),
        "{:.1f}",
    )  # fmt: skip
    report.save(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
