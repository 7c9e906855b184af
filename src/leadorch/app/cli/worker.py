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
    parser.add_argument(
        "--threads", type=int, default=16, help="worker threads (default 16: jobs mostly wait on I/O)"
    )
    parser.add_argument(
        "--no-scheduler", action="store_true", help="do not enqueue periodic jobs from this process"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from leadorch.app.background import start_worker_background
    from leadorch.app.bootstrap import bootstrap
    from leadorch.app.cli import CliError
    from leadorch.app.observability.logging import configure_logging

    container = bootstrap()
    configure_logging(container.settings.log_level, json_lines=container.settings.log_json)
    if not container.settings.redis_url:
        raise CliError(
            "REDIS_URL is not set: without Redis the worker runs inside `leadorch serve`/`leadorch demo`"
        )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    start_worker_background(container, worker_threads=args.threads, scheduler=not args.no_scheduler)
    print(f"leadorch: worker running with {args.threads} threads", flush=True)
    stop.wait()
    print("leadorch: worker stopping (finishing messages in flight)", flush=True)
    container.close()
    return 0
