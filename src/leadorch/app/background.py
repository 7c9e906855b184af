"""What runs in the background of each process, decided in one place.

- The API process always follows the log with the projections (read models stay fresh for the API), and
  builds the Dramatiq runtime so it can enqueue. With no `REDIS_URL` (the embedded default) it also runs
  the worker threads and the periodic scheduler itself, so one process is the whole system.
- The worker process runs the worker threads, the scheduler and the projections.
Running projections in several processes is safe: each batch advances its position under a lock.
"""

from __future__ import annotations

from leadorch.app.bootstrap import Container
from leadorch.app.projections.wiring import start_projections
from leadorch.app.worker.runtime import Runtime, build_runtime


def start_api_background(container: Container, *, worker_threads: int = 4) -> Runtime:
    runtime = build_runtime(container)
    start_projections(container)
    if runtime.in_process:
        runtime.start_worker(threads=worker_threads, scheduler=True)
    container.on_close(runtime.stop)
    return runtime


def start_worker_background(
    container: Container, *, worker_threads: int = 16, scheduler: bool = True
) -> Runtime:
    runtime = build_runtime(container)
    start_projections(container)
    runtime.start_worker(threads=worker_threads, scheduler=scheduler)
    container.on_close(runtime.stop)
    return runtime
