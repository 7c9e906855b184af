"""The job that turns one stored webhook delivery into a decision, and its one actor-spec constant.

Apart from `actors.py` because the webhook handler and the inbox feed enqueue it, and `actors.py`
imports the feed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from leadorch.app.observability.logging import bind
from leadorch.app.worker.specs import ActorSpec

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger("leadorch.app.ingestion.actors")  # where operators have always found these lines


def process_inbox_delivery(container: Container, request_id: str) -> None:
    with bind(delivery_id=request_id):
        decision = container.ingestion.process_delivery(request_id)
        if decision is not None:
            with bind(lead_id=decision.lead_id):
                log.info("delivery %s: %s", request_id, decision.summary)


PROCESS_INBOX_DELIVERY = ActorSpec("process_inbox_delivery", process_inbox_delivery, queue="ingest")
