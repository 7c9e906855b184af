"""What `leadorch simulate …` (and the console's demo buttons) do inside the running demo server.

A simulated website quote is created in the ShopMonkey stand-in and then delivered to our own webhook
endpoint over HTTP, signed with the tenant's secret, exactly as ShopMonkey would send it; nothing is
injected behind the webhook's back.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from leadorch.adapters.shopmonkey_webhook import sign_delivery
from leadorch.adapters.standins.shopmonkey import BUNDLED_FIXTURES
from leadorch.app.demo.environment import DemoEnvironment, demo_webhook_secret

DEMO_TENANT = "demo-tint"

_STRANGERS = [
    ("Jordan", "Reyes", "(858) 555-0117", 2021, "Honda", "Civic"),
    ("Priya", "Natarajan", "(619) 555-0188", 2023, "Tesla", "Model 3"),
    ("Sam", "Whitaker", "(760) 555-0164", 2019, "Ford", "F-150"),
]


class DemoUnavailable(RuntimeError):
    """The server is not running the demo (simulation is demo-only)."""


def _object_id() -> str:
    return secrets.token_hex(12)


def _sample_order() -> dict[str, Any]:
    sample = json.loads((Path(BUNDLED_FIXTURES) / "webhook-order-insert-website-lead.json").read_text())
    return dict(json.loads(sample["raw_body"])["data"])


def _iso(env: DemoEnvironment) -> str:
    return env.clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def create_website_order(env: DemoEnvironment, *, stranger: bool = False) -> dict[str, Any]:
    """A fresh "New Quote" order in the ShopMonkey stand-in; returns the order row."""
    if env.shopmonkey is None:
        raise DemoUnavailable("ShopMonkey is the real service here: create the quote on the shop's website")
    order = _sample_order()
    now = _iso(env)
    order.update(id=_object_id(), createdDate=now, updatedDate=now, orderCreatedDate=now)
    order["number"] = 10482 + len(env.shopmonkey.orders)
    if stranger:
        first, last, phone, year, make, model = _STRANGERS[len(env.shopmonkey.customers) % len(_STRANGERS)]
        customer = dict(next(iter(env.shopmonkey.customers.values())))
        customer_id, vehicle_id = _object_id(), _object_id()
        customer.update(
            id=customer_id,
            firstName=first,
            lastName=last,
            emails=[
                {
                    "id": _object_id(),
                    "email": f"{first.lower()}.{last.lower()}@example.com",
                    "primary": True,
                    "subscribed": True,
                }
            ],
            phoneNumbers=[
                {
                    "id": _object_id(),
                    "number": phone,
                    "type": "Mobile",
                    "primary": True,
                    "optIn": True,
                }
            ],
        )
        vehicle = dict(next(iter(env.shopmonkey.vehicles.values())))
        vehicle.update(id=vehicle_id, customerId=customer_id, year=year, make=make, model=model)
        env.shopmonkey.add_customer(customer)
        env.shopmonkey.add_vehicle(vehicle)
        order.update(
            customerId=customer_id, vehicleId=vehicle_id, generatedVehicleName=f"{year} {make} {model}"
        )
    env.shopmonkey.add_order(order)
    return order


async def deliver_order_webhook(
    env: DemoEnvironment, public_base_url: str, order: dict[str, Any]
) -> dict[str, Any]:
    """POST the order to our own webhook endpoint, signed as ShopMonkey signs it."""
    body = json.dumps({"apiVersion": "3", "operation": "INSERT", "table": "order", "data": order}).encode()
    headers = sign_delivery(
        demo_webhook_secret(), body, msg_id=f"msg_{secrets.token_hex(8)}", timestamp=env.clock.now()
    )
    url = f"{public_base_url.rstrip('/')}/webhooks/shopmonkey/{DEMO_TENANT}"
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(url, content=body, headers=headers)
    return {
        "order_id": order["id"],
        "webhook_status": response.status_code,
        "webhook_answer": _json_or_text(response),
    }


def send_customer_text(
    env: DemoEnvironment, public_base_url: str, *, from_number: str, to_number: str, text: str
) -> dict[str, Any]:
    """A text from the customer's phone, delivered to our Twilio webhook signed as Twilio signs it."""
    if env.twilio is None:
        raise DemoUnavailable("Twilio is the real service here: reply from the phone")
    response = env.twilio.send_inbound_sms(
        f"{public_base_url.rstrip('/')}/webhooks/twilio/sms", from_number=from_number, to=to_number, body=text
    )
    return {"webhook_status": response.status_code, "twiml": response.text}


_DURATION = re.compile(r"^\+?(\d{1,9})([smhd])$")  # nine digits: never an overflow, whatever the unit
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MAX_ADVANCE = timedelta(days=90)  # one jump: three cadences
MAX_AHEAD = timedelta(days=400)  # all jumps together: past it the demo is showing nothing new


def parse_advance(text: str) -> timedelta:
    """`+3d`, `+12h`, `+30m`, `+45s` → a positive timedelta of at most `MAX_ADVANCE`, in any unit."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"cannot read {text!r}: use +Nd, +Nh, +Nm or +Ns, e.g. +3d")
    amount, unit = int(match.group(1)), match.group(2)
    delta = timedelta(**{_UNITS[unit]: amount})
    if amount <= 0 or delta > MAX_ADVANCE:
        raise ValueError(f"the advance must be positive and at most {MAX_ADVANCE.days} days")
    return delta


def check_ahead(ahead: timedelta, delta: timedelta) -> None:
    """Refuse a jump that would put the demo clock more than `MAX_AHEAD` past real time."""
    if ahead + delta > MAX_AHEAD:
        left = max(MAX_AHEAD - ahead, timedelta())
        raise ValueError(
            f"the demo clock may run at most {MAX_AHEAD.days} days ahead; {left.days} day(s) are left "
            "(restart the demo to start over)"
        )


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
