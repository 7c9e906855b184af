"""`leadorch worker`: the production worker process — Dramatiq actors, the periodic scheduler, projections.

Graceful shutdown: on SIGTERM/SIGINT the scheduler stops enqueuing, Dramatiq finishes the messages in
flight (unfinished ones go back to the queue: Redis keeps them until acknowledged), and projections stop
after their current batch.
"""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("worker", help="run the background worker (needs REDIS_URL)")
    parser.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    parser.add_argument(
        "--no-scheduler", action="store_true", help="do not enqueue periodic jobs from this process"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from leadorch.app.bootstrap import bootstrap
    from leadorch.app.cli import CliError
    from leadorch.app.worker.runtime import build_runtime

    container = bootstrap()
    if not container.settings.redis_url:
        raise CliError(
            "REDIS_URL is not set: without Redis the worker runs inside `leadorch serve`/`leadorch demo`"
        )
    runtime = build_runtime(container)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    runtime.start_worker(threads=args.threads, scheduler=not args.no_scheduler)
    daemons = container.extras.get("start_background", [])
    for start in daemons:
        start(container)
    print(f"leadorch: worker running with {args.threads} threads")
    stop.wait()
    print("leadorch: worker stopping (finishing messages in flight)")
    for stopper in container.extras.get("stop_background", []):
        stopper(container)
    runtime.stop()
    container.close()
    return 0
