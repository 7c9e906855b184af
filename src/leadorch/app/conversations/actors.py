"""The conversations' background jobs, as the Dramatiq runtime binds them (see `app/worker/runtime.py`).

- `answer_customer_message(tenant_id, lead_id, number)`: answer a text or an emailed reply on its
  channel (`conversations.inbound_job`).
- `alert_staff_of_message(tenant_id, lead_id, text, number, why)`: a customer wrote and the assistant
  did not answer (a person handles the lead, or the answer may not go now).
"""

from __future__ import annotations

from leadorch.app.conversations.inbound_job import ALERT_STAFF_OF_MESSAGE, ANSWER_MESSAGE

ACTORS = [ANSWER_MESSAGE, ALERT_STAFF_OF_MESSAGE]
