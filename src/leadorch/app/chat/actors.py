"""The chat's background jobs, as the Dramatiq runtime binds them (see `app/worker/runtime.py`).

- `alert_staff_of_handoff(tenant_id, lead_id, question, number)`: tell the location's staff that a
  customer asked for a person (or that the assistant could not answer them).
"""

from __future__ import annotations

from leadorch.app.chat.handoff import ALERT_STAFF

ACTORS = [ALERT_STAFF]
