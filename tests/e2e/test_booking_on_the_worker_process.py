"""A customer books without opening a link, on the real processes: `leadorch serve` and `leadorch worker`.

Issue 16's end-to-end run as a deployment runs it: PostgreSQL, a Redis of the test's own, the API and
the worker as child processes on the real clock, the fake ShopMonkey and the Twilio and SendGrid
stand-ins on sockets in this process (the bench's world, `bench/scenario.py`). A signed ShopMonkey
webhook makes the lead and touch 1 goes out by text; the customer's texts come in through the signed
Twilio webhook and her emails as SendGrid's Inbound Parse posts them; every answer is a job on the
worker process. Read back from what the stand-ins accepted and from the ShopMonkey calendar.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import httpx
import pytest
from bench import scenario
from tests.support.inbound_mail import a_reply
from tests.support.processes import ChildProcess, DedicatedRedis, start_api, start_worker
from tests.support.services import create_database, drop_database
from twilio.request_validator import RequestValidator

from leadorch.adapters.standins.sendgrid_parse import post_inbound_parse
from leadorch.app.bootstrap import bootstrap
from leadorch.app.http.webhooks_sendgrid import inbound_parse_url
from leadorch.app.settings import load_settings
from leadorch.domain.sms_segments import sms_segments

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(240)]

TWILIO_PATH = "/webhooks/twilio/sms"


@dataclass
class Deployment:
    api: ChildProcess
    worker: ChildProcess
    vendors: scenario.Vendors
    database_url: str
    zone: str

    @property
    def url(self) -> str:
        assert self.api.url is not None
        return self.api.url


@pytest.fixture(scope="module")
def deployment(pg_admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    logs = tmp_path_factory.mktemp("processes")
    database_url = create_database(pg_admin_url)
    redis = DedicatedRedis().start()
    vendors = scenario.start_vendors(crm_latency=0.0)
    zone = scenario.daytime_zone()  # touch 1 may go by text now
    scenario.configure_shop(database_url, shopmonkey_api_key=vendors.shopmonkey.api_key, time_zone=zone)
    settings = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis.url,
        "LEADORCH_POLL_INTERVAL_SECONDS": "3600",
        **vendors.settings(),
    }
    api = start_api(settings, logs / "api.log")
    worker = start_worker(settings, logs / "worker.log", threads=2)
    try:
        yield Deployment(api, worker, vendors, database_url, zone)
    finally:
        api.stop()
        worker.stop()
        vendors.stop()
        redis.destroy()
        drop_database(pg_admin_url, database_url)


def eventually(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def new_lead(deployment: Deployment, serial: int) -> None:
    """The shop's website makes quote `serial` in ShopMonkey and its signed Order webhook arrives."""
    at = datetime.now(UTC) - timedelta(seconds=30)
    deployment.vendors.add_quotes(range(serial, serial + 1), at)
    [line] = scenario.delivery_lines(range(serial, serial + 1), at)
    request = json.loads(line)
    response = httpx.post(
        deployment.url + request["path"], content=request["body"], headers=request["headers"], timeout=10
    )
    assert response.status_code == 200, response.text


def texts(deployment: Deployment, serial: int) -> list[str]:
    phone = scenario.lead_phone(serial)
    return [str(sms.body) for sms in deployment.vendors.twilio.outbox if sms.to == phone]


def emails(deployment: Deployment, serial: int) -> list[Any]:
    address = scenario.lead_email(serial)
    return [mail for mail in deployment.vendors.sendgrid.outbox if address in mail.to]


def text_in(deployment: Deployment, serial: int, body: str) -> None:
    params = {
        "AccountSid": deployment.vendors.twilio.account_sid,
        "Body": body,
        "From": scenario.lead_phone(serial),
        "To": scenario.SMS_FROM,
        "MessageSid": "SM" + uuid4().hex,
        "NumMedia": "0",
        "SmsStatus": "received",
    }
    signature = RequestValidator(deployment.vendors.twilio.auth_token).compute_signature(
        deployment.url + TWILIO_PATH, params
    )
    response = httpx.post(
        deployment.url + TWILIO_PATH, data=params, headers={"X-Twilio-Signature": signature}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert "<Message" not in response.text  # answered at once with empty TwiML: the answer is a job


def next_text(deployment: Deployment, serial: int, after: int, containing: str) -> str:
    def found() -> str | None:
        return next((body for body in texts(deployment, serial)[after:] if containing in body), None)

    return str(eventually(found, f"a text to customer {serial} with {containing!r}"))


def appointments(deployment: Deployment) -> int:
    return len(deployment.vendors.shopmonkey.appointments)


def a_day_ahead(deployment: Deployment, days: int) -> date:
    return datetime.now(ZoneInfo(deployment.zone)).date() + timedelta(days=days)


def words_for(day: date) -> str:
    return f"{day:%a %b} {day.day}"


def test_by_text_numbered_times_a_pick_a_confirmation_and_one_booking(deployment: Deployment) -> None:
    serial = 1
    new_lead(deployment, serial)
    eventually(lambda: texts(deployment, serial), "touch 1 by text")
    day = words_for(a_day_ahead(deployment, 3))
    before = appointments(deployment)

    sent = len(texts(deployment, serial))
    text_in(deployment, serial, f"anything {day} morning for the ultimate?")
    offer = next_text(deployment, serial, sent, f"Reply 1 for {day}")
    sent = len(texts(deployment, serial))
    text_in(deployment, serial, "2")
    question = next_text(deployment, serial, sent, "Reply YES")
    sent = len(texts(deployment, serial))
    text_in(deployment, serial, "yes")
    done = next_text(deployment, serial, sent, "Done:")

    second = re.search(rf"2 for ({re.escape(day)}), (\d+:\d\d [AP]M)", offer)
    assert second is not None, offer
    assert sms_segments(offer).segments <= 2
    assert question.startswith(f"Book the Ultimate Tint Package on {day} at {second[2]}"), question
    assert question.endswith(", $600? Reply YES"), question
    assert done.startswith(f"Done: Ultimate Tint Package, {day}"), done
    eventually(
        lambda: any("you're booked for" in body for body in texts(deployment, serial)), "the confirmation"
    )
    eventually(lambda: appointments(deployment) == before + 1, "the ShopMonkey appointment")
    time.sleep(1.0)  # nothing more comes: one appointment
    assert appointments(deployment) == before + 1


def test_by_email_a_threaded_answer_then_a_booking(deployment: Deployment) -> None:
    serial = 2
    new_lead(deployment, serial)
    eventually(lambda: emails(deployment, serial), "touch 1 by email")
    container = bootstrap(load_settings({}, database_url=deployment.database_url), messaging=False)
    try:
        url = inbound_parse_url(container).replace(container.settings.public_base_url, deployment.url)
    finally:
        container.close()
    day = words_for(a_day_ahead(deployment, 4))
    before = appointments(deployment)
    sender = f"Lead Two <{scenario.lead_email(serial)}>"
    question = a_reply(
        f"anything {day} morning for the ultimate?", sender=sender, subject="Re: Your tint quote"
    )

    assert post_inbound_parse(url, question).status_code == 200
    answer = eventually(
        lambda: [m for m in emails(deployment, serial) if m.subject == "Re: Your tint quote"],
        "the emailed answer",
    )[0]

    assert answer.headers.get("In-Reply-To") == question["Message-ID"]
    assert question["Message-ID"] in answer.headers.get("References", "")
    assert "/chat/" in (answer.text or "") and "/chat/" in (answer.html or "")
    offered = re.search(rf"{re.escape(day)}, (\d+:\d\d [AP]M)", answer.text or "")
    assert offered is not None, answer.text

    picked = a_reply(f"{day} at {offered[1]} works, please book it", sender=sender, subject=answer.subject)
    assert post_inbound_parse(url, picked).status_code == 200
    eventually(lambda: appointments(deployment) == before + 1, "the ShopMonkey appointment")
    eventually(
        lambda: any("booked" in (m.subject or "").lower() for m in emails(deployment, serial)),
        "the booking confirmation by email",
    )
    time.sleep(1.0)
    assert appointments(deployment) == before + 1


def test_the_worker_logs_no_unexpected_error(deployment: Deployment) -> None:
    """Run last in the module: what the two tests above did left nothing unexpected in the worker's log."""
    assert deployment.worker.alive
    assert "Traceback" not in deployment.worker.log()
    assert "Traceback" not in deployment.api.log()
