"""msgspec MessagePack vs the library's JSON transcoder, on realistic events.

Encodes and decodes the events of a few hundred lead histories (`histories.py`) through the store's
mapper with each transcoder, and prints events per second, bytes per event and the speed-up.

    uv run python bench/bench_codec.py [--lives 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import Mapper
from histories import default_setups, whole_life

from leadorch.app.eventstore.codec import MsgspecTranscoder, json_transcoder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lives", type=int, default=300, help="lead histories to encode (default 300)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds; the best one counts (default 5)")
    args = parser.parse_args(argv)
    if args.lives < 1 or args.rounds < 1:
        parser.error("--lives and --rounds must be at least 1")
    rng = random.Random(1)
    events = [
        event
        for setup in default_setups(args.lives, rng)
        for aggregate in whole_life(setup, random.Random(rng.getrandbits(64))).aggregates()
        for event in aggregate.collect_events()
    ]
    print(f"{len(events):,} events from {args.lives} lead histories")
    results = {}
    for name, transcoder in (("msgspec", MsgspecTranscoder()), ("json", json_transcoder())):
        mapper: Mapper[Any] = Mapper(transcoder=transcoder)
        stored = [mapper.to_stored_event(event) for event in events]
        assert [mapper.to_domain_event(s).__dict__ for s in stored] == [e.__dict__ for e in events], name
        encode = _best(args.rounds, lambda m=mapper: [m.to_stored_event(event) for event in events])
        decode = _best(args.rounds, lambda m=mapper, s=stored: [m.to_domain_event(item) for item in s])
        size = sum(len(item.state) for item in stored) / len(stored)
        results[name] = (encode, decode)
        print(
            f"{name:8} encode {len(events) / encode:>10,.0f} events/s   decode {len(events) / decode:>10,.0f} events/s"
            f"   {size:6.0f} bytes/event"
        )
    (msgspec_encode, msgspec_decode), (json_encode, json_decode) = results["msgspec"], results["json"]
    print(
        f"msgspec is {json_encode / msgspec_encode:.1f}x faster to encode, {json_decode / msgspec_decode:.1f}x to decode"
    )
    return 0


def _best(rounds: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


if __name__ == "__main__":
    sys.exit(main())
