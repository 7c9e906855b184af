"""A stand-in for ShopMonkey's v3 REST API, for tests and the demo.

It speaks ShopMonkey's wire shapes (bearer auth, `{success, data, meta}` envelopes, `where` JSON
filters, `limit`/`skip` paging) and reproduces the production traps integrators have met: `limit`
silently capped at 100, `$gte` and unknown filters silently ignored (the whole set comes back), sorting
only through the lowercase `orderby` query key (camelCase `orderBy` ignored), and optionally a different
row order on identical unsorted calls. The calendar's: recurring blocks (lunch, office time) hidden from
the list and `/search` and shown, expanded, only by `search_replacement` (which takes no location,
returns only unassigned rows unless `technicians` are named, over-counts `meta.total` and repeats a row
on its last page), and a singular `technicianId` accepted and dropped. Faults can be injected per
path: 5xx answers, 429 with `Retry-After`, latency, malformed JSON, and a request that is applied but
answered with a 5xx (the create the caller believes failed). Every request is recorded.

Staff work in the calendar through `staff_update_appointment` / `staff_delete_appointment` /
`staff_add_appointment`. Every appointment change, staff's or an API client's (ShopMonkey sends
webhooks for its API's writes too, so an integrator hears its own writes echo back), is queued in
`webhook_events` as the body ShopMonkey would post; `take_webhook_events` hands them over for a test
(or the demo) to sign and deliver.

Run it on a real socket with `leadorch.adapters.standins.server.serve_in_thread(fake)`.
"""

from __future__ import annotations

import asyncio
import copy
import fnmatch
import functools
import json
import random
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

BUNDLED_FIXTURES = Path(__file__).resolve().parent / "data" / "shopmonkey"
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
Json = Any
Row = dict[str, Any]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Json | None
    body: bytes


@dataclass
class _Fault:
    pattern: str
    method: str | None
    remaining: int
    status: int = 500
    retry_after: str | None = None
    malformed: bool = False
    applied: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (self.method in (None, method)) and fnmatch.fnmatchcase(path, self.pattern)


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


def _now_iso(clock: Callable[[], datetime]) -> str:
    moment = clock().astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _ok(data: Json, meta: Json | None = None) -> _Answer:
    envelope: dict[str, Json] = {"success": True, "data": data}
    if meta is not None:
        envelope["meta"] = meta
    return _Answer(200, json.dumps(envelope).encode())


def _fail(status: int, message: str, code: str) -> _Answer:
    return _Answer(status, json.dumps({"success": False, "message": message, "code": code}).encode())


class FakeShopMonkey:
    """An in-memory ShopMonkey company, served as an ASGI app. Thread-safe for tests and the demo."""

    def __init__(
        self,
        *,
        api_key: str = "test-shopmonkey-key",
        shuffle_pages: bool = False,
        seed: int = 0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.api_key = api_key
        self.shuffle_pages = shuffle_pages
        self.orders: dict[str, Row] = {}
        self.customers: dict[str, Row] = {}
        self.vehicles: dict[str, Row] = {}
        self.services: dict[str, Row] = {}
        self.appointments: dict[str, Row] = {}
        # Staff as the hydrated appointment list names them (`technicians[]`).
        self.technicians: dict[str, Row] = {}
        self.requests: list[RecordedRequest] = []
        self.webhook_events: list[Json] = []
        self.locations: dict[str, Row] = {}
        self.webhooks: dict[str, Row] = {}
        self._clock = clock
        self._random = random.Random(seed)
        self._faults: list[_Fault] = []
        self._latency: list[tuple[str, float]] = []
        self._lock = threading.Lock()

    @classmethod
    def from_fixtures(cls, fixtures_dir: Path | str = BUNDLED_FIXTURES, **options: Any) -> FakeShopMonkey:
        """A company seeded from the fixture files (`order-list-page.json`, `customer.json`, ...)."""
        directory = Path(fixtures_dir)
        if not directory.is_dir():
            raise FileNotFoundError(f"ShopMonkey fixtures directory {directory} does not exist")

        def data(name: str) -> Json:
            return json.loads((directory / name).read_text(encoding="utf-8"))["data"]

        fake = cls(**options)
        for order in data("order-list-page.json"):
            fake.add_order(order)
        fake.add_customer(data("customer.json"))
        fake.add_vehicle(data("vehicle.json"))
        for service in data("canned-services.json"):
            fake.add_service(service)
        # The fixtures' one store (README: "location 6198139a5391fa197fac13e7 is the demo store").
        for location_id in sorted({o["locationId"] for o in fake.orders.values() if o.get("locationId")}):
            fake.add_location({"id": location_id, "name": "Demo Store", "companyId": fake._company_id()})
        return fake

    # --- state -------------------------------------------------------------------------------------

    def add_order(self, row: Row) -> Row:
        return self._put(self.orders, row)

    def add_location(self, row: Row) -> Row:
        return self._put(self.locations, row)

    def add_webhook(self, url: str, *, name: str = "leadorch", triggers: list[str] | None = None) -> Row:
        """A webhook registered for `url`, enabled and not in error (the shape of `GET /v3/webhook`)."""
        now = _now_iso(self._clock)
        return self._put(
            self.webhooks,
            {
                "id": secrets.token_hex(12),
                "createdDate": now,
                "updatedDate": now,
                "companyId": self._company_id(),
                "locationId": None,
                "name": name,
                "url": url,
                "triggers": triggers or ["Order", "Appointment"],
                "enabled": True,
                "error": False,
                "errorMessage": None,
                "errorDate": None,
                "version": "3",
            },
        )

    def break_webhook(self, webhook_id: str, message: str) -> Row:
        """Put a webhook in ShopMonkey's error state (it stops delivering until someone fixes it)."""
        now = _now_iso(self._clock)
        with self._lock:
            self.webhooks[webhook_id].update(error=True, errorMessage=message, errorDate=now, updatedDate=now)
            return copy.deepcopy(self.webhooks[webhook_id])

    def add_customer(self, row: Row) -> Row:
        return self._put(self.customers, row)

    def add_vehicle(self, row: Row) -> Row:
        return self._put(self.vehicles, row)

    def add_service(self, row: Row) -> Row:
        return self._put(self.services, row)

    def add_appointment(self, row: Row) -> Row:
        """An appointment staff put on the calendar; with `recurring: true` and an `rruleset`
        (`DTSTART;TZID=…:YYYYMMDDTHHMMSS` + `RRULE:FREQ=DAILY|WEEKLY[;BYDAY=MO,…]`), a recurring block
        whose `startDate`/`endDate` give its length."""
        for technician in row.get("technicians") or []:
            self.technicians.setdefault(technician["id"], copy.deepcopy(technician))
        stored = {key: value for key, value in row.items() if key != "technicians"}
        return self._put(self.appointments, stored)

    def add_fixture_calendar(self, fixtures_dir: Path | str = BUNDLED_FIXTURES) -> list[Row]:
        """The fixtures' day: the phone booking, the walk-in and the recurring lunch and office-time blocks."""
        directory = Path(fixtures_dir)
        listed = json.loads((directory / "appointment-list.json").read_text(encoding="utf-8"))["data"]
        replaced = json.loads((directory / "appointment-search-replacement.json").read_text(encoding="utf-8"))
        rows = {row["id"]: row for row in listed}
        for page in replaced["pages"]:
            for row in page["data"]:
                rows.setdefault(row["id"], row)
        return [self.add_appointment(row) for row in rows.values()]

    def update_order(self, order_id: str, **changes: Any) -> Row:
        """Change an order as staff would; `updatedDate` moves to now unless given."""
        with self._lock:
            order = self.orders[order_id]
            order.update(changes)
            if "updatedDate" not in changes:
                order["updatedDate"] = _now_iso(self._clock)
            return copy.deepcopy(order)

    def staff_add_appointment(self, row: Row) -> Row:
        """Staff put an appointment on the calendar themselves (an INSERT webhook follows)."""
        with self._lock:
            appointment = {"updatedDate": _now_iso(self._clock), **copy.deepcopy(row)}
            self.appointments[appointment["id"]] = appointment
            self._link_to_order(appointment)
            self._webhook("INSERT", appointment)
            return copy.deepcopy(appointment)

    def staff_update_appointment(self, appointment_id: str, **changes: Any) -> Row:
        """Staff change an appointment in the calendar (move it, confirm it, cancel it with a note);
        `updatedDate` moves to now, and an UPDATE webhook naming the changed fields follows."""
        with self._lock:
            appointment = self.appointments[appointment_id]
            self._unlink_from_order(appointment)
            before = copy.deepcopy(appointment)
            appointment.update(changes, updatedDate=_now_iso(self._clock))
            self._link_to_order(appointment)
            self._webhook("UPDATE", appointment, before)
            return copy.deepcopy(appointment)

    def staff_delete_appointment(self, appointment_id: str) -> Row:
        """Staff delete an appointment from the calendar (a DELETE webhook carrying the row follows)."""
        with self._lock:
            appointment = self.appointments.pop(appointment_id)
            self._unlink_from_order(appointment)
            self._webhook("DELETE", appointment)
            return copy.deepcopy(appointment)

    def take_webhook_events(self) -> list[Json]:
        """The webhook bodies queued since the last call, oldest first (then the queue is empty)."""
        with self._lock:
            events, self.webhook_events = self.webhook_events, []
            return events

    def _webhook(self, operation: str, row: Row, before: Row | None = None) -> None:
        body: dict[str, Json] = {
            "apiVersion": "3",
            "operation": operation,
            "table": "appointment",
            "data": copy.deepcopy(row),
        }
        if before is not None:
            body["diff"] = sorted(name for name in row if row.get(name) != before.get(name))
        self.webhook_events.append(body)

    def update_customer(self, customer_id: str, **changes: Any) -> Row:
        with self._lock:
            self.customers[customer_id].update(changes)
            return copy.deepcopy(self.customers[customer_id])

    def _put(self, table: dict[str, Row], row: Row) -> Row:
        if not isinstance(row.get("id"), str) or not row["id"]:
            raise ValueError("a ShopMonkey row needs a string `id`")
        with self._lock:
            table[row["id"]] = copy.deepcopy(row)
            return copy.deepcopy(row)

    # --- faults and inspection ---------------------------------------------------------------------

    def fail_next(self, path: str, times: int = 1, *, status: int = 500, method: str | None = None) -> None:
        """Answer the next `times` requests whose path matches the glob `path` with `status`."""
        with self._lock:
            self._faults.append(_Fault(path, method, times, status=status))

    def apply_then_fail_next(
        self, path: str, times: int = 1, *, status: int = 500, method: str | None = None
    ) -> None:
        """Carry out the next `times` matching requests, then answer `status` as if it had failed."""
        with self._lock:
            self._faults.append(_Fault(path, method, times, status=status, applied=True))

    def rate_limit_next(
        self, path: str, times: int = 1, *, retry_after: str = "2", method: str | None = None
    ) -> None:
        """Answer 429 with `Retry-After: retry_after` (seconds or an HTTP date)."""
        with self._lock:
            self._faults.append(_Fault(path, method, times, status=429, retry_after=retry_after))

    def malformed_next(self, path: str, times: int = 1, *, method: str | None = None) -> None:
        """Answer 200 with a truncated JSON body."""
        with self._lock:
            self._faults.append(_Fault(path, method, times, status=200, malformed=True))

    def clear_faults(self) -> None:
        """Forget every injected fault that has not fired yet."""
        with self._lock:
            self._faults.clear()

    def add_latency(self, path: str, seconds: float) -> None:
        """Delay every answer whose path matches the glob `path` (0 removes the delay)."""
        with self._lock:
            self._latency = [(p, s) for p, s in self._latency if p != path]
            if seconds > 0:
                self._latency.append((path, seconds))

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [
                r for r in self.requests if fnmatch.fnmatchcase(r.path, path) and method in (None, r.method)
            ]

    # --- ASGI --------------------------------------------------------------------------------------

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = self._record(scope, body)
        delay = max((s for p, s in self._latency if fnmatch.fnmatchcase(request.path, p)), default=0.0)
        if delay:
            await asyncio.sleep(delay)
        answer = self._answer(request)
        headers = [(b"content-type", b"application/json"), *answer.headers]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})

    def _record(self, scope: dict[str, Any], body: bytes) -> RecordedRequest:
        try:
            parsed: Json | None = json.loads(body) if body else None
        except ValueError:
            parsed = None
        request = RecordedRequest(
            method=scope["method"],
            path=scope["path"],
            query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)),
            headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
            json=parsed,
            body=body,
        )
        with self._lock:
            self.requests.append(request)
        return request

    def _answer(self, request: RecordedRequest) -> _Answer:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _fail(401, "Unauthorized", "UNAUTHORIZED")
        with self._lock:
            fault = next((f for f in self._faults if f.matches(request.method, request.path)), None)
            if fault:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                if fault.applied:
                    self._route(request)
                return self._faulted(fault)
            return self._route(request)

    @staticmethod
    def _faulted(fault: _Fault) -> _Answer:
        if fault.malformed:
            return _Answer(200, b'{"success": true, "data": {"id": "66a1f0c1b7e4')
        if fault.status == 429:
            answer = _fail(429, "Too many requests", "RATE_LIMITED")
            answer.headers.append((b"retry-after", (fault.retry_after or "1").encode()))
            return answer
        return _fail(fault.status, "Internal Server Error", "INTERNAL")

    def _route(self, request: RecordedRequest) -> _Answer:
        parts = request.path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "v3":
            return _fail(404, f"No route {request.path}", "NOT_FOUND")
        entity, ident = parts[1], (parts[2] if len(parts) == 3 else None)
        method = request.method
        if len(parts) > 3:
            return _fail(404, f"No route {request.path}", "NOT_FOUND")
        if entity == "order" and method == "GET":
            return self._get(self.orders, ident, "Order") if ident else self._list_orders(request.query)
        if entity in ("customer", "vehicle") and method == "GET" and ident:
            table = self.customers if entity == "customer" else self.vehicles
            return self._get(table, ident, entity.capitalize())
        if entity in ("location", "webhook") and method == "GET":
            table = self.locations if entity == "location" else self.webhooks
            if ident:
                return self._get(table, ident, entity.capitalize())
            return self._page(list(table.values()), request.query)
        if entity == "canned_service" and method == "GET" and not ident:
            return self._list_services(request.query)
        if entity == "appointment":
            if method == "POST" and not ident:
                return self._create_appointment(request.json)
            if method == "POST" and ident == "search":
                return self._search_appointments(request.json)
            if method == "POST" and ident == "search_replacement":
                return self._search_replacement(request.json)
            if method == "GET" and not ident:
                return self._list_appointments(request.query)
            if method == "GET" and ident:
                return self._get(self.appointments, ident, "Appointment")
            if method == "PUT" and ident:
                return self._update_appointment(ident, request.json)
            if method == "DELETE" and ident:
                return self._delete_appointment(ident, request)
        return _fail(404, f"No route {method} {request.path}", "NOT_FOUND")

    @staticmethod
    def _get(table: dict[str, Row], ident: str, label: str) -> _Answer:
        row = table.get(ident)
        return _ok(copy.deepcopy(row)) if row else _fail(404, f"{label} not found", "NOT_FOUND")

    # --- listings ----------------------------------------------------------------------------------

    def _page(self, rows: list[Row], query: dict[str, str]) -> _Answer:
        try:
            limit = min(MAX_LIMIT, max(1, int(query.get("limit", DEFAULT_LIMIT))))
            skip = max(0, int(query.get("skip", 0)))
            # Only the lowercase key sorts in a query string; camelCase `orderBy` is ignored, as ShopMonkey does.
            order_by = json.loads(query["orderby"]) if "orderby" in query else {}
        except ValueError:
            return _fail(400, "limit, skip and orderby must be numbers and JSON", "BAD_REQUEST")
        sort = (
            [(name, way) for name, way in order_by.items() if way in ("asc", "desc")]
            if isinstance(order_by, dict)
            else []
        )
        if sort:
            rows = sorted(rows, key=lambda r: r["id"])  # ties fall back to one fixed order: repeatable walks
            for name, way in reversed(sort):  # the first key is the primary one
                rows = sorted(rows, key=functools.partial(_field_sort_key, name), reverse=way == "desc")
        elif self.shuffle_pages:  # an unsorted walk is what disagrees with itself between calls
            rows = self._random.sample(rows, len(rows))
        window = rows[skip : skip + limit]
        meta = {"total": len(rows), "hasMore": skip + len(window) < len(rows)}
        return _ok(copy.deepcopy(window), meta)

    def _list_orders(self, query: dict[str, str]) -> _Answer:
        try:
            where = json.loads(query["where"]) if "where" in query else {}
        except ValueError:
            return _fail(400, "where must be JSON", "BAD_REQUEST")
        rows = list(self.orders.values())
        updated = where.get("updatedDate") if isinstance(where, dict) else None
        if isinstance(updated, dict):
            # Only bare operators filter; `$gte` & co. are ignored, as ShopMonkey does.
            try:
                if isinstance(updated.get("gte"), str):
                    rows = [r for r in rows if _instant(r["updatedDate"]) >= _instant(updated["gte"])]
                if isinstance(updated.get("lte"), str):
                    rows = [r for r in rows if _instant(r["updatedDate"]) <= _instant(updated["lte"])]
            except ValueError:
                return _fail(400, "updatedDate bounds must be ISO 8601 dates", "BAD_REQUEST")
        return self._page(rows, query)

    def _list_services(self, query: dict[str, str]) -> _Answer:
        rows = list(self.services.values())
        if query.get("locationId"):
            rows = [r for r in rows if r.get("locationId") in (None, query["locationId"])]
        try:
            where = json.loads(query["where"]) if "where" in query else {}
        except ValueError:
            return _fail(400, "where must be JSON", "BAD_REQUEST")
        if isinstance(where, dict) and isinstance(where.get("bookable"), bool):
            rows = [r for r in rows if r.get("bookable") is where["bookable"]]
        return self._page(rows, query)

    def _list_appointments(self, query: dict[str, str]) -> _Answer:
        try:
            where = json.loads(query["where"]) if "where" in query else {}
        except ValueError:
            return _fail(400, "where must be JSON", "BAD_REQUEST")
        # Recurring blocks are missing from the list, as in ShopMonkey (only search_replacement has them).
        rows = [self._hydrated(r) for r in self.appointments.values() if not r.get("recurring")]
        if isinstance(where, dict):
            # Bare equality on these fields filters; any other field (startDate too) is ignored.
            for name in ("orderId", "customerId", "vehicleId", "locationId"):
                if isinstance(where.get(name), str):
                    rows = [r for r in rows if r.get(name) == where[name]]
        return self._page(rows, query)

    def _search_appointments(self, payload: Json | None) -> _Answer:
        """`POST /v3/appointment/search`: like the list, plus bare `gte`/`lte` on the date fields and
        Prisma's `AND`/`OR`; anything else in `where` is ignored (the row is kept), as ShopMonkey does."""
        if not isinstance(payload, dict):
            return _fail(400, "body must be a JSON object", "BAD_REQUEST")
        where = payload.get("where") if isinstance(payload.get("where"), dict) else {}
        rows = [self._hydrated(r) for r in self.appointments.values() if not r.get("recurring")]
        try:
            rows = [r for r in rows if _matches(r, where)]
        except ValueError:
            return _fail(400, "date bounds must be ISO 8601 dates", "BAD_REQUEST")
        order_by = payload.get("orderBy")
        query = {"limit": str(payload.get("limit", DEFAULT_LIMIT)), "skip": str(payload.get("skip", 0))}
        if isinstance(order_by, dict):
            query["orderby"] = json.dumps(order_by)  # in a body the camelCase key is the one that sorts
        return self._page(rows, query)

    def _search_replacement(self, payload: Json | None) -> _Answer:
        """What ShopMonkey's own calendar calls: every row and recurring occurrence between `dateMin` and
        `dateMax` for the named `technicians` (unassigned rows always; no location filter), sorted by
        start. `meta.total` says one more than there is and the last page repeats the row before it."""
        if not isinstance(payload, dict):
            return _fail(400, "body must be a JSON object", "BAD_REQUEST")
        try:
            low, high = _instant(str(payload["dateMin"])), _instant(str(payload["dateMax"]))
            limit = min(MAX_LIMIT, max(1, int(payload.get("limit", MAX_LIMIT))))
            skip = max(0, int(payload.get("skip", 0)))
        except (KeyError, ValueError):
            return _fail(400, "dateMin and dateMax (ISO dates), limit and skip are required", "BAD_REQUEST")
        # A bound without an offset is silently read as UTC.
        low, high = (moment if moment.tzinfo else moment.replace(tzinfo=UTC) for moment in (low, high))
        asked = payload.get("technicians")
        technicians = {t for t in asked if isinstance(t, str)} if isinstance(asked, list) else set()
        rows: list[Row] = []
        for row in self.appointments.values():
            for occurrence in _occurrences(row, low, high):
                assigned = set(occurrence.get("technicianIds") or [])
                if not assigned or assigned & technicians:
                    rows.append(self._hydrated(occurrence))
        rows.sort(key=lambda r: (_instant(r["startDate"]), r["id"]))
        window = rows[skip : skip + limit]
        has_more = skip + len(window) < len(rows)
        if not has_more and skip > 0 and rows:
            window = [*window, rows[skip - 1]]  # the last page repeats the row before it
        return _ok(copy.deepcopy(window), {"total": len(rows) + 1, "hasMore": has_more})

    def _hydrated(self, row: Row) -> Row:
        """The list's shape: the row with its `technicians[]` relation."""
        technicians = [
            copy.deepcopy(self.technicians.get(ident, {"id": ident}))
            for ident in row.get("technicianIds") or []
        ]
        return {**row, "technicians": technicians}

    # --- appointments ------------------------------------------------------------------------------

    REQUIRED_APPOINTMENT_FIELDS = ("customerId", "vehicleId", "startDate", "endDate", "name", "color")

    def _create_appointment(self, payload: Json | None) -> _Answer:
        if not isinstance(payload, dict):
            return _fail(400, "body must be a JSON object", "BAD_REQUEST")
        missing = [name for name in self.REQUIRED_APPOINTMENT_FIELDS if not payload.get(name)]
        if missing:
            return _fail(400, f"missing required field(s): {', '.join(missing)}", "VALIDATION")
        now = _now_iso(self._clock)
        appointment = {
            "id": secrets.token_hex(12),
            "createdDate": now,
            "updatedDate": None,  # as ShopMonkey answers a create: set by the first update
            "companyId": self._company_id(),
            "locationId": payload.get("locationId"),
            "technicianIds": [],
            "confirmed": False,
            "pendingConfirmation": False,
            "confirmationStatus": "NoResponse",
            **_known_appointment_fields(payload),
        }
        self.appointments[appointment["id"]] = appointment
        self._link_to_order(appointment)
        self._webhook("INSERT", appointment)
        return _ok(copy.deepcopy(appointment))

    def _update_appointment(self, ident: str, payload: Json | None) -> _Answer:
        appointment = self.appointments.get(ident)
        if appointment is None:
            return _fail(404, "Appointment not found", "NOT_FOUND")
        if not isinstance(payload, dict):
            return _fail(400, "body must be a JSON object", "BAD_REQUEST")
        self._unlink_from_order(appointment)
        before = copy.deepcopy(appointment)
        appointment.update(_known_appointment_fields(payload), updatedDate=_now_iso(self._clock))
        self._link_to_order(appointment)
        self._webhook("UPDATE", appointment, before)
        return _ok(copy.deepcopy(appointment))

    def _delete_appointment(self, ident: str, request: RecordedRequest) -> _Answer:
        if not isinstance(request.json, dict):
            return _fail(400, "DELETE needs a JSON body", "BAD_REQUEST")
        appointment = self.appointments.pop(ident, None)
        if appointment is None:
            return _fail(404, "Appointment not found", "NOT_FOUND")
        self._unlink_from_order(appointment)
        self._webhook("DELETE", appointment)
        return _ok({"id": ident})

    def _link_to_order(self, appointment: Row) -> None:
        order = self.orders.get(appointment.get("orderId") or "")
        if order is not None:
            order["appointmentDates"] = [*order.get("appointmentDates", []), appointment["startDate"]]
            order["updatedDate"] = _now_iso(self._clock)

    def _unlink_from_order(self, appointment: Row) -> None:
        order = self.orders.get(appointment.get("orderId") or "")
        if order is not None and appointment["startDate"] in order.get("appointmentDates", []):
            order["appointmentDates"] = [
                d for d in order["appointmentDates"] if d != appointment["startDate"]
            ]
            order["updatedDate"] = _now_iso(self._clock)

    def _company_id(self) -> str | None:
        return next((o.get("companyId") for o in self.orders.values()), None)


_EQUALITY_FIELDS = ("orderId", "customerId", "vehicleId", "locationId")
_DATE_FIELDS = ("startDate", "endDate", "createdDate", "updatedDate")


def _matches(row: Row, where: Any) -> bool:
    """Whether `row` passes a search's `where`: bare equality on the id fields, bare `gte`/`lte` on the
    date fields (a null date passes no bound), `AND`/`OR` lists; unknown parts filter nothing."""
    if not isinstance(where, dict):
        return True
    for name in _EQUALITY_FIELDS:
        if isinstance(where.get(name), str) and row.get(name) != where[name]:
            return False
    for name in _DATE_FIELDS:
        bounds = where.get(name)
        if not isinstance(bounds, dict):
            continue
        low, high = bounds.get("gte"), bounds.get("lte")
        if not isinstance(low, str) and not isinstance(high, str):
            continue
        value = row.get(name)
        if not isinstance(value, str):
            return False
        if isinstance(low, str) and _instant(value) < _instant(low):
            return False
        if isinstance(high, str) and _instant(value) > _instant(high):
            return False
    if isinstance(where.get("AND"), list) and not all(_matches(row, part) for part in where["AND"]):
        return False
    if isinstance(where.get("OR"), list) and where["OR"]:
        return any(_matches(row, part) for part in where["OR"])
    return True


def _field_sort_key(name: str, row: dict[str, Any]) -> tuple[int, Any]:
    return _sort_key(row.get(name))


def _sort_key(value: Any) -> tuple[int, Any]:
    """Dates sort as instants, other values as themselves; rows without the field sort last."""
    if value is None:
        return (2, 0)
    if isinstance(value, str):
        try:
            return (0, _instant(value))
        except ValueError:
            return (1, value)
    return (0, value)


def _occurrences(row: Row, low: datetime, high: datetime) -> list[Row]:
    """The row's occurrences overlapping [low, high]: itself, or a recurring block's expansion (every
    occurrence keeps the block's id, as ShopMonkey's calendar shows it)."""
    starts, ends = _instant(row["startDate"]), _instant(row["endDate"])
    if not row.get("recurring"):
        return [row] if starts <= high and ends > low else []
    rule = _recurrence(str(row.get("rruleset") or ""))
    if rule is None:
        return []
    first, zone, weekdays = rule
    length = ends - starts
    found: list[Row] = []
    day = max(first.date(), (low - length).astimezone(zone).date())
    while day <= high.astimezone(zone).date():
        if weekdays is None or day.weekday() in weekdays:
            begin = datetime.combine(day, first.time(), zone)
            if begin <= high and begin + length > low:
                found.append({**row, "startDate": _wire_utc(begin), "endDate": _wire_utc(begin + length)})
        day += timedelta(days=1)
    return found


_WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}


def _recurrence(text: str) -> tuple[datetime, ZoneInfo, set[int] | None] | None:
    """(first local start, zone, weekdays or None for every day) of a `DTSTART;TZID=…` + `RRULE:` set."""
    lines = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    start = next((value for key, value in lines.items() if key.startswith("DTSTART")), None)
    key = next((key for key in lines if key.startswith("DTSTART")), "")
    rule = dict(part.split("=", 1) for part in lines.get("RRULE", "").split(";") if "=" in part)
    if start is None or rule.get("FREQ") not in ("DAILY", "WEEKLY"):
        return None
    zone = ZoneInfo(key.partition("TZID=")[2] or "UTC")
    first = datetime.strptime(start, "%Y%m%dT%H%M%S").replace(tzinfo=zone)
    days = {_WEEKDAYS[d] for d in rule.get("BYDAY", "").split(",") if d in _WEEKDAYS}
    if rule["FREQ"] == "WEEKLY" and not days:
        days = {first.weekday()}
    return first, zone, (days if rule["FREQ"] == "WEEKLY" else None)


def _wire_utc(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _known_appointment_fields(payload: Json) -> Json:
    """What ShopMonkey keeps of an appointment write: a singular `technicianId` is accepted and dropped
    (the appointment lands "Unassigned"); only the `technicianIds` array assigns."""
    return {name: value for name, value in payload.items() if name != "technicianId"}
