"""`leadorch worker`: the production worker process — Dramatiq actors, the periodic scheduler, projections.

Graceful shutdown: on SIGTERM/SIGINT the scheduler stops enqueuing and Dramatiq stops taking new
messages, finishes the ones in flight (for at most `SHUTDOWN_BOUND_SECONDS`) and hands the ones it had
fetched but not started back to Redis; a message still running at the bound stays unacknowledged in
Redis and is redelivered to another worker. Only then are the CRM and messaging clients, projections and
database closed, since the jobs in flight still use them.

Metrics: the worker serves its own Prometheus registry on `--metrics-port` (default 9191, 0 = off):
touches, speed to lead, actor failures and projection lag are counted here, not in the API.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

DEFAULT_METRICS_PORT = 9191
SHUTDOWN_BOUND_SECONDS = 30  # the runtime's `Worker.stop` timeout


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("worker", help="run the background worker (needs REDIS_URL)")
    parser.add_argument(
        "--threads", type=int, default=16, help="worker threads (default 16: jobs mostly wait on I/O)"
    )
    parser.add_argument(
        "--no-scheduler", action="store_true", help="do not enqueue periodic jobs from this process"
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=DEFAULT_METRICS_PORT,
        help=f"serve Prometheus metrics on this port at /metrics (default {DEFAULT_METRICS_PORT}; 0 disables)",
    )
    parser.add_argument(
        "--metrics-host", default="0.0.0.0", help="address the metrics port listens on (default 0.0.0.0)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from leadorch.app.background import start_worker_background
    from leadorch.app.bootstrap import bootstrap
    from leadorch.app.cli import CliError
    from leadorch.app.crm_health import start_crm_checks
    from leadorch.app.observability.logging import configure_logging
    from leadorch.app.settings import load_settings

    if not 0 <= args.metrics_port <= 65535:
        raise CliError(f"--metrics-port must be between 0 and 65535 (0 disables), not {args.metrics_port}")
    if args.threads < 1:
        raise CliError(f"--threads must be at least 1, not {args.threads}")
    settings = load_settings()
    # Logging first: the warnings bootstrap writes (stand-ins, checks) are JSON lines like the rest.
    configure_logging(settings.log_level, json_lines=settings.log_json)
    container = bootstrap(settings, sends_messages=True)
    if not container.settings.redis_url:
        raise CliError(
            "REDIS_URL is not set: without Redis the worker runs inside `leadorch serve`/`leadorch demo`"
        )
    start_crm_checks(container)  # unknown location ids, webhooks in error: logged, on /ready
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    metrics_server = serve_metrics(args.metrics_host, args.metrics_port)
    runtime = start_worker_background(container, worker_threads=args.threads, scheduler=not args.no_scheduler)
    # The id its leases carry (`worker_beats`, the inbox's `claimed_by`): what an operator looks for.
    print(
        f"leadorch: worker running with {args.threads} threads (worker id {container.liveness.worker_id})",
        flush=True,
    )
    stop.wait()
    print(
        f"leadorch: worker stopping (finishing messages in flight, at most {SHUTDOWN_BOUND_SECONDS} s)",
        flush=True,
    )
    close_after_runtime(container, runtime)
    if metrics_server is not None:
        metrics_server.shutdown()
    print("leadorch: worker stopped", flush=True)
    return 0


def serve_metrics(host: str, port: int) -> Any | None:
    """Start the worker's `/metrics` server; None when disabled or when the port is taken.

    A taken port is logged, not fatal: a worker that does its jobs without metrics beats one that
    does not start (two workers on one host with the default port, say).
    """
    if port == 0:
        return None
    from prometheus_client import start_http_server

    from leadorch.app.observability.metrics import REGISTRY

    try:
        server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    except OSError as error:
        log.error("worker metrics not served: cannot listen on %s:%d (%s)", host, port, error)
        return None
    log.info("worker metrics on http://%s:%d/metrics", host, port)
    return server


def close_after_runtime(container: Container, runtime: Any) -> None:
    """Stop the worker runtime first (jobs in flight finish), then close everything else.

    `container.close()` runs its closers newest first, and the CRM/messaging clients register theirs
    lazily, after the runtime's: left to it, they would close under the jobs still running.
    """
    closers = container.closers
    if runtime.stop in closers:
        closers.remove(runtime.stop)
    runtime.stop()
    log.info("worker runtime stopped: jobs in flight finished")
    container.close()
    log.info("clients and database closed")
