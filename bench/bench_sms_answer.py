"""Benchmark 9 — a text answered: inbound text's webhook sent → the assistant's answer accepted by Twilio.

    uv run python bench/bench_sms_answer.py [--quick] [--json result.json]

The speed-to-lead topology (`bench_speed_to_lead.py`): PostgreSQL, Redis, `leadorch serve` and
`leadorch worker` as separate processes, the offline assistant, ShopMonkey answering every call after
50 ms, the Twilio stand-in noting the wall-clock time it accepted each message. Every lead first gets
touch 1 by text (its quote's signed ShopMonkey webhook, as in benchmark 2). Then the load generator
(its own process) sends the customers' texts through the signed Twilio webhook, open loop: a new
conversation starts 10 times a second and each has three turns three seconds apart ("anything Mon Dec 14
morning for the ultimate?" with a day and part of day of her own, "2", "yes": times offered, a time
picked, booked; the run counts the shop's new appointments, so a run that stopped booking shows), so the API and worker
see about 30 texts a second once all turns overlap. A text's time is from the moment its webhook was
sent to the moment the stand-in accepted the next text to that customer (the answer: an `ANSWER_MESSAGE`
job on the worker, through the container's Messenger).

Baseline, in the same run: the same conversations one at a time on the idle system, each turn sent after
the previous answer arrived (the floor the job's own steps set). Target: p99 <= 300 ms.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import scenario
from bench.loadgen import drive
from bench.stats import Figure, Report, Spread, percentile, ratio
from tests.support.processes import ChildProcess, start_api, start_worker
from twilio.request_validator import RequestValidator

CONVERSATIONS_PER_SECOND = 10.0
TURNS = ("anything {day} {part} for the ultimate?", "2", "yes")
DAYS_AHEAD = 58  # customers ask for different days (inside the 60-day booking horizon), so the shop's
# calendar does not fill up and a later run's conversations still end in a booking, as the first run's do
PARTS_OF_DAY = (
    "morning",
    "afternoon",
    "evening",
)  # with DAYS_AHEAD, 174 customers ask for a part of their own
BAYS = 4  # and each part of a day has room for several bookings: the full run's ~630 customers all book
TURN_GAP = 3.0  # seconds between a customer's texts: she reads the answer and writes back
CRM_LATENCY = 0.05
SETTLE_SECONDS = 30.0
PATH = "/webhooks/twilio/sms"


def main() -> int:
    parser = argparse.ArgumentParser(description="inbound text → answer latency at 10 conversations/s")
    parser.add_argument(
        "--quick", action="store_true", help="3 runs of 5 s of new conversations, not 3 of 20 s"
    )
    parser.add_argument("--json", type=Path, help="also save the figures here")
    args = parser.parse_args()
    runs, seconds = 3, (5.0 if args.quick else 20.0)
    per_run = int(CONVERSATIONS_PER_SECOND * seconds)
    baseline_conversations = 3 if args.quick else 8
    command = "uv run python bench/bench_sms_answer.py" + (" --quick" if args.quick else "")
    report = Report("sms-answer", command)
    work = Path(tempfile.mkdtemp(prefix="leadorch-bench-sms-"))
    print(
        f"benchmark 9, a text answered ({runs} runs, {seconds:.0f} s of {CONVERSATIONS_PER_SECOND:.0f} new "
        f"conversations/s, {len(TURNS)} turns {TURN_GAP:.0f} s apart; offline assistant, CRM answers in 50 ms)"
    )
    at = datetime.now(UTC) - timedelta(minutes=1)
    vendors = scenario.start_vendors(crm_latency=CRM_LATENCY)
    try:
        with scenario.fresh_database() as database_url, scenario.dedicated_redis() as redis_url:
            zone = scenario.daytime_zone()
            scenario.configure_shop(
                database_url, shopmonkey_api_key=vendors.shopmonkey.api_key, time_zone=zone, capacity=BAYS
            )
            settings = {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "LEADORCH_POLL_INTERVAL_SECONDS": "3600",
                **vendors.settings(),
            }
            api = start_api(settings, work / "api.log")
            worker = start_worker(settings, work / "worker.log")
            try:
                bench = Conversations(api, vendors, at, work, zone)
                result = bench.measure(runs, per_run, baseline_conversations)
            finally:
                api.stop()
                worker.stop()
    finally:
        vendors.stop()
    report.note(f"shop time zone {zone} (local daytime); logs in {work}")
    base = Spread.of(result["baseline_p50"])
    print(f"  baseline (one conversation at a time, idle system): p50 {base.text('{:.0f}', 'ms')}")
    print(f"  baseline p99 {Spread.of(result['baseline_p99']).text('{:.0f}', 'ms')}")
    p50, p95, p99 = (Spread.of(result[k]) for k in ("p50", "p95", "p99"))
    detail = {"baseline_p50_ms": base.__dict__, "ratio_to_baseline_p50": ratio(p99.median, base.median)}
    report.add(Figure("p50 inbound text → answer", p50, "ms", "(no target)", True,
                      {"ratio_to_baseline_p50": ratio(p50.median, base.median)}), "{:.0f}")  # fmt: skip
    report.add(Figure("p95 inbound text → answer", p95, "ms", "(no target)", True), "{:.0f}")
    report.add(
        Figure("p99 inbound text → answer", p99, "ms", "<= 300 ms", p99.median <= 300, detail), "{:.0f}"
    )
    report.note(f"p99 / baseline p50: {ratio(p99.median, base.median):.1f}")
    missing = sum(result["missing"])
    report.note(
        f"texts without an answer after {SETTLE_SECONDS:.0f} s: {missing} (of {runs * per_run * len(TURNS)})"
    )
    booked = sum(result["booked"])
    report.note(f"conversations that ended booked: {booked} (of {runs * per_run})")
    report.save(args.json)
    return 0 if missing == 0 else 1


class Conversations:
    """Leads with touch 1 by text, and their customers' signed texts through the Twilio webhook."""

    def __init__(
        self, api: ChildProcess, vendors: scenario.Vendors, at: datetime, work: Path, zone: str
    ) -> None:
        assert api.url is not None
        self.today = datetime.now(ZoneInfo(zone)).date()
        self.url, self.vendors, self.at, self.work = api.url, vendors, at, work
        self.signer = RequestValidator(vendors.twilio.auth_token)
        self.serial = 1

    def measure(self, runs: int, per_run: int, baseline_conversations: int) -> dict[str, Any]:
        time.sleep(3)  # the worker's first poll (at start) finds nothing new
        out: dict[str, Any] = {
            k: [] for k in ("p50", "p95", "p99", "missing", "baseline_p50", "baseline_p99", "booked")
        }
        warm = self.touched(10)
        self.converse(warm, name="warm", rate=2.0)
        for run in range(1, runs + 1):
            single = self.touched(baseline_conversations)
            base: list[float] = []
            for serial in single:  # one conversation at a time, each turn after the previous answer
                for turn in range(len(TURNS)):
                    result = drive(
                        self.url, [self.line(serial, turn, 0.0)], self.work, rate=1, duration=5, name="one"
                    )
                    sent = result["outcomes"][0]["sent_wall"]  # type: ignore[index]
                    base += self.latencies({(serial, turn): sent}, settle=10)[0]
            out["baseline_p50"].append(percentile(base, 50))
            out["baseline_p99"].append(percentile(base, 99))
            chosen = self.touched(per_run)
            before = self.booked()
            latencies, missing = self.converse(chosen, name="run", rate=CONVERSATIONS_PER_SECOND)
            out["booked"].append(self.booked() - before)
            for pct in (50, 95, 99):
                out[f"p{pct}"].append(percentile(latencies, pct))
            out["missing"].append(missing)
            print(
                f"  run {run}: {len(latencies)} texts, p50 {percentile(latencies, 50):.0f} ms, "
                f"p95 {percentile(latencies, 95):.0f} ms, p99 {percentile(latencies, 99):.0f} ms, "
                f"max {max(latencies, default=0):.0f} ms; no answer {missing}; "
                f"booked {out['booked'][-1]} of {len(chosen)} "
                f"(baseline p50 {out['baseline_p50'][-1]:.0f} ms)",
                flush=True,
            )
        return out

    def booked(self) -> int:
        """Appointments in the shop's calendar: a conversation that ends in "yes" adds one."""
        return len(self.vendors.shopmonkey.appointments)

    def touched(self, count: int) -> range:
        """`count` new leads, each sent touch 1 by text (their quotes' webhooks at 20 a second)."""
        chosen = range(self.serial, self.serial + count)
        self.serial += count
        self.vendors.add_quotes(chosen, self.at)
        drive(
            self.url,
            scenario.delivery_lines(chosen, self.at),
            self.work,
            rate=20,
            duration=count / 20 + 1,
            name="leads",
        )
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            if all(self.vendors.sms_arrivals.accepted(scenario.lead_phone(s)) for s in chosen):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("not every lead got touch 1 by text")
        time.sleep(1.0)  # the leads read model (how an inbound text finds its lead) catches up
        return chosen

    def words(self, serial: int, turn: int) -> str:
        """Customer `serial`'s text number `turn`: her first asks for a day and part of day of her own."""
        part, ahead = divmod(serial, DAYS_AHEAD)
        day = self.today + timedelta(days=1 + ahead)
        return TURNS[turn].format(day=f"{day:%a %b} {day.day}", part=PARTS_OF_DAY[part % len(PARTS_OF_DAY)])

    def line(self, serial: int, turn: int, at: float) -> str:
        """Customer `serial`'s text number `turn`, signed as Twilio signs it, due `at` s into the run."""
        params = {
            "AccountSid": self.vendors.twilio.account_sid,
            "Body": self.words(serial, turn),
            "From": scenario.lead_phone(serial),
            "To": scenario.SMS_FROM,
            "MessageSid": "SM" + uuid4().hex,
            "NumMedia": "0",
            "SmsStatus": "received",
        }
        signature = self.signer.compute_signature(self.url + PATH, params)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        return json.dumps(
            {"method": "POST", "path": PATH, "headers": headers, "body": urlencode(params), "at": at}
        )

    def converse(self, serials: range, *, name: str, rate: float) -> tuple[list[float], int]:
        """Every conversation open loop: conversation i starts at i/rate, its turns TURN_GAP apart."""
        due = sorted(
            (index / rate + turn * TURN_GAP, serial, turn)
            for index, serial in enumerate(serials)
            for turn in range(len(TURNS))
        )
        lines = [self.line(serial, turn, at) for at, serial, turn in due]
        result = drive(self.url, lines, self.work, rate=rate, duration=due[-1][0] + 1, name=name)
        outcomes: list[dict[str, Any]] = result["outcomes"]  # type: ignore[assignment]
        sent = {
            (due[o["index"]][1], due[o["index"]][2]): o["sent_wall"] for o in outcomes if o["status"] == 200
        }
        latencies, missing = self.latencies(sent, settle=SETTLE_SECONDS)
        return latencies, missing + len(due) - len(sent)

    def latencies(self, sent: dict[tuple[int, int], float], *, settle: float) -> tuple[list[float], int]:
        """Each text's sent → answer-accepted time: the answer is the first text the stand-in accepted
        for that customer after hers was sent (a turn may bring more than one text, a booking its
        confirmation notice, so counting texts would misattribute); waits up to `settle` s for
        stragglers. Prints each turn's p50 and p99."""

        def answer(serial: int, turn: int) -> float | None:
            after = sent[(serial, turn)]
            accepted = self.vendors.sms_arrivals.accepted(scenario.lead_phone(serial))
            return next((at for at in accepted if at > after), None)

        deadline = time.monotonic() + settle
        while time.monotonic() < deadline and any(answer(*key) is None for key in sent):
            time.sleep(0.05)
        latencies, missing = [], 0
        by_turn: dict[int, list[float]] = {turn: [] for turn in range(len(TURNS))}
        for key, at in sent.items():
            arrived = answer(*key)
            if arrived is None:
                missing += 1
            else:
                latencies.append((arrived - at) * 1000)
                by_turn[key[1]].append(latencies[-1])
        if len(sent) > 1:
            print("    by turn: " + "; ".join(
                f"{TURNS[turn].format(day='<day>', part='<part>')!r} p50 {percentile(took, 50):.0f} ms, p99 {percentile(took, 99):.0f} ms"
                for turn, took in by_turn.items() if took))  # fmt: skip
        return latencies, missing


if __name__ == "__main__":
    sys.exit(main())
