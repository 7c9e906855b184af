"""Dramatiq middleware that makes every background job observable.

- `JobLogContext` binds the job's `actor` and `message_id` to every log line the job writes, so one
  job's lines can be picked out of a busy worker's log. A worker thread runs one message at a time and
  calls the before/after hooks on that same thread, so each thread keeps its own stack of context
  tokens: the `before_process_message` hook pushes, the matching after hook pops.
- `ActorFailureCounter` counts each failed run (a retry that fails again counts again) by actor.
"""

from __future__ import annotations

import threading
from typing import Any

from dramatiq import Broker
from dramatiq.broker import MessageProxy
from dramatiq.middleware import Middleware

from leadorch.app.observability.logging import IdsToken, pop_ids, push_ids
from leadorch.app.observability.metrics import ACTOR_FAILURES


class JobLogContext(Middleware):
    """Correlation ids for the duration of one job: `actor` and `message_id`."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _tokens(self) -> list[IdsToken]:
        tokens: list[IdsToken] | None = getattr(self._local, "tokens", None)
        if tokens is None:
            tokens = self._local.tokens = []
        return tokens

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        self._tokens().append(push_ids(actor=message.actor_name, message_id=message.message_id))

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any | None = None,
        exception: BaseException | None = None,
    ) -> None:
        self._pop()

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        self._pop()

    def _pop(self) -> None:
        tokens = self._tokens()
        if tokens:
            pop_ids(tokens.pop())


class ActorFailureCounter(Middleware):
    """`leadorch_actor_failures_total{actor=...}` + 1 whenever a job raises."""

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any | None = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is not None:
            ACTOR_FAILURES.labels(actor=message.actor_name).inc()
