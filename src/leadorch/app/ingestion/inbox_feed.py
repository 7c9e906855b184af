"""Wakes a worker process the moment a delivery is committed to the inbox, without the webhook touching Redis.

The webhook handler's job is a durable acknowledgement: it commits the delivery and answers. On
PostgreSQL that commit also NOTIFYs `INBOX_CHANNEL`; this thread, one per worker process, LISTENs on a
connection of its own and, when woken, sends every delivery that is due to `process_inbox_delivery`
(`WebhookInbox.take_due_for_relay` reschedules each row as it takes it, so two workers woken together
rarely send the same row, and if they do the processing claim makes the second a no-op). Nothing
depends on a notification arriving: a lost one (a dropped connection, a worker restarting) only delays
the row until the periodic relay sends it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING

import psycopg

from leadorch.app.ingestion.delivery_job import PROCESS_INBOX_DELIVERY
from leadorch.app.ingestion.inbox import INBOX_CHANNEL, WebhookInbox
from leadorch.app.worker.enqueue import enqueue_each

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

WAKE_CHECK_SECONDS = 1.0  # how often the thread looks up from waiting to see whether it must stop
RECONNECT_SECONDS = 2.0


def send_due_deliveries(container: Container, inbox: WebhookInbox, *, now: datetime) -> list[str]:
    """Take the inbox rows due for processing (rescheduling each) and send each to processing.

    The one way rows leave the inbox for the workers after the webhook answered: the feed calls it when
    a commit wakes it, the periodic relay on its interval. Both run in a worker, whose runtime is the
    container's. A row held by a worker that stopped beating is taken too (`app/worker/liveness.py`).
    A broker outage leaves the rows to the relay (`inline=False`): taking them rescheduled
    them, so none is lost, and none is processed in the feed's thread.
    """
    due = inbox.take_due_for_relay(now=now, gone_before=container.liveness.dead_before())
    enqueue_each(container, PROCESS_INBOX_DELIVERY, [(request_id,) for request_id in due], inline=False)
    return due


class InboxFeed(threading.Thread):
    """LISTEN for committed deliveries and hand them to the workers at once."""

    def __init__(self, container: Container) -> None:
        super().__init__(name="leadorch-inbox-feed", daemon=True)
        self.container = container  # its runtime is the worker's: the feed starts with the worker threads
        # Only PostgreSQL has LISTEN; the registry starts this feed only there (`workers_listen`).
        self.listen_url: str = getattr(container.db, "url", "")
        self.inbox = WebhookInbox(container.db)
        self.sent = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                with psycopg.connect(self.listen_url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {INBOX_CHANNEL}")
                    self.feed()  # whatever was committed while nobody listened
                    while not self._stop_event.is_set():
                        woken = any(True for _ in conn.notifies(timeout=WAKE_CHECK_SECONDS, stop_after=1))
                        if woken:
                            self.feed()
            except Exception:  # the database restarting, most likely: listen again shortly
                if not self._stop_event.is_set():
                    log.warning("inbox feed lost its connection; listening again shortly", exc_info=True)
                    self._stop_event.wait(RECONNECT_SECONDS)

    def feed(self) -> int:
        """Send every delivery that is due now; how many were sent."""
        due = send_due_deliveries(self.container, self.inbox, now=self.container.clock.now())
        self.sent += len(due)
        if due:
            log.debug("inbox feed sent %d deliveries", len(due))
        return len(due)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=WAKE_CHECK_SECONDS + 2)
