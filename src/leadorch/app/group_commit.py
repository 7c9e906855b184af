"""Group commit: writes arriving together from many threads share one transaction.

One small transaction per request caps a durable write path at the database's commit rate, and the event
store's writers even queue behind one table lock. Here a thread that wants to write joins a queue; the
first one in becomes the *leader*, takes everything queued so far as one batch and hands it to
`commit_batch` (one transaction for all of it). Requests that arrive while that transaction runs form
the next batch, led by the first of them, so no thread ever waits for more than the batch it is in and
the one before it. A caller gets its own result or its own exception, exactly as if it had written
alone: `commit_batch` returns one outcome per request, in order, and when a batch as a whole fails
(one request breaking a constraint) it falls back to committing each request on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeAlias, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Outcome: TypeAlias = R | BaseException
"""What one request ends with: its result, or the exception it must raise."""


def _outcomes(
    commit_batch: Callable[[Sequence[T]], Sequence[R | BaseException]], items: list[T]
) -> Sequence[R | BaseException]:
    """One outcome per item; a failure of the batch as a whole is every item's outcome."""
    try:
        outcomes = commit_batch(items)
        if len(outcomes) != len(items):
            raise RuntimeError(f"commit_batch gave {len(outcomes)} outcomes for {len(items)} requests")
    except BaseException as exc:
        return [exc] * len(items)
    return outcomes


class _Request(Generic[T, R]):
    __slots__ = ("item", "leads", "outcome", "settled", "wake")

    def __init__(self, item: T) -> None:
        self.item = item
        self.outcome: R | BaseException | None = None
        self.settled = False
        self.leads = False
        self.wake = threading.Event()


class GroupCommit(Generic[T, R]):
    """Run `commit_batch(items) -> outcomes` over whatever requests are waiting, one batch at a time."""

    def __init__(
        self, commit_batch: Callable[[Sequence[T]], Sequence[R | BaseException]], *, max_batch: int = 256
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._commit_batch = commit_batch
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Request[T, R]] = []
        self._leader_busy = False
        self.batches = 0  # how many transactions ran (for tests and benchmarks)
        self.requests = 0

    def submit(self, item: T) -> R:
        """Write `item` with whatever else is waiting; return its result or raise its exception."""
        request: _Request[T, R] = _Request(item)
        with self._lock:
            self._queue.append(request)
            if self._leader_busy:
                leads = False
            else:
                self._leader_busy = leads = True
        if not leads:
            request.wake.wait()
            leads = request.leads and not request.settled
        if leads:
            self._lead()
        assert request.settled, "a request always ends settled"
        if isinstance(request.outcome, BaseException):
            raise request.outcome
        return request.outcome  # type: ignore[return-value]

    def _lead(self) -> None:
        """Commit one batch (which holds this thread's own request), then pass the lead on."""
        with self._lock:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
        outcomes = _outcomes(self._commit_batch, [r.item for r in batch])
        with self._lock:
            self.batches += 1
            self.requests += len(batch)
            successor = self._queue[0] if self._queue else None
            if successor is None:
                self._leader_busy = False
            else:
                successor.leads = True
        for request, outcome in zip(batch, outcomes, strict=True):
            request.outcome = outcome
            request.settled = True
            request.wake.set()
        if successor is not None:
            successor.wake.set()


class GroupCommitWriter(Generic[T, R]):
    """Group commit for an event loop: `await writer.submit(item)` without a thread per request.

    The webhook handler runs on the event loop; handing each request to a thread pool just to wait for a
    commit costs more than the commit. Here one writer thread takes whatever has been submitted, commits
    it as one batch with `commit_batch`, and settles each caller's future on its own loop; while it
    commits, the next batch gathers. A caller awaits its own outcome, exactly as `GroupCommit.submit`.
    """

    def __init__(
        self,
        commit_batch: Callable[[Sequence[T]], Sequence[R | BaseException]],
        *,
        max_batch: int = 256,
        name: str = "group-commit-writer",
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._commit_batch = commit_batch
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Submitted[T, R] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._start_lock = threading.Lock()
        self._closed = False
        self.batches = 0
        self.requests = 0

    async def submit(self, item: T) -> R:
        """Commit `item` with whatever else is waiting; its result, or raise its exception."""
        if self._closed:
            raise RuntimeError("the writer is closed")
        self._ensure_started()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._queue.put(_Submitted(item, future, loop))
        return await future

    def close(self, timeout: float = 10.0) -> None:
        """Commit what was submitted, then stop the thread."""
        self._closed = True
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def _ensure_started(self) -> None:
        if not self._thread.is_alive():
            with self._start_lock:
                if not self._thread.is_alive() and not self._closed:
                    self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Submitted[T, R]]) -> None:
        outcomes = _outcomes(self._commit_batch, [s.item for s in batch])
        self.batches += 1
        self.requests += len(batch)
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[R], R | BaseException]]] = {}
        for submitted, outcome in zip(batch, outcomes, strict=True):
            by_loop.setdefault(submitted.loop, []).append((submitted.future, outcome))
        for loop, settled in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_settle, settled)


class _Submitted(Generic[T, R]):
    __slots__ = ("future", "item", "loop")

    def __init__(self, item: T, future: asyncio.Future[R], loop: asyncio.AbstractEventLoop) -> None:
        self.item = item
        self.future = future
        self.loop = loop


def _settle(settled: list[tuple[asyncio.Future[Any], Any]]) -> None:
    for future, outcome in settled:
        if future.done():  # the caller gave up (its request was cancelled)
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
