"""The `Crm` port over ShopMonkey's v3 REST API.

One pooled `httpx.AsyncClient` with bearer auth and timeouts. Transient failures (5xx, timeouts,
dropped connections) are retried with exponential backoff and a 429 waits as long as `Retry-After`
asks; after `max_retries` the caller gets `CrmUnavailable`. Creating an appointment is the one
non-idempotent call: it is retried only when ShopMonkey certainly did not act on it (429, or a
connection that never opened), so a slow answer can never book the same slot twice here. A create
that failed after ShopMonkey may have applied it is the caller's to settle: `appointments_on_order`
finds it again.

The order listing's traps stay here too (see the fixtures README): `limit` silently capped at 100,
paging only by `skip`, an ignored filter answering with the whole table, sorting only through the
lowercase `orderby` query key, and walks that can repeat or miss rows. `list_orders_updated_since`
sorts by `updatedDate`, pages with `skip` until a short page, drops rows older than asked for, keeps
each version (id + `updatedDate`) once, and reads the listing again (up to `MAX_LISTING_PASSES`) while
fewer distinct orders came back than its own total claims.

The calendar's traps too: `calendar` reads the location's appointments through `POST
/v3/appointment/search` (the flat list ignores date filters) and the recurring blocks (lunch, office
time) that both hide, through `POST /v3/appointment/search_replacement`, which takes no location, wants
the technicians named, over-counts its total and repeats rows on its last page. Every occurrence is kept
once (by id and start: a recurring block's occurrences share its id), and rows outside the location or
the range are dropped here, whatever ShopMonkey's filters did.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
import msgspec
import phonenumbers

from leadorch.adapters.shopmonkey_models import (
    Envelope,
    ErrorEnvelope,
    WireAppointment,
    WireCannedService,
    WireCustomer,
    WireLocation,
    WireOrder,
    WireVehicle,
    WireWebhook,
    appointment_body,
    appointment_from_wire,
    calendar_entry_from_wire,
    customer_from_wire,
    local_wire_datetime,
    order_from_wire,
    service_from_wire,
    vehicle_from_wire,
    wire_datetime,
)
from leadorch.ports.crm import (
    AppointmentListing,
    CalendarEntry,
    CrmAppointment,
    CrmAppointmentRequest,
    CrmAuthError,
    CrmContractError,
    CrmCustomer,
    CrmError,
    CrmLocation,
    CrmNotFound,
    CrmOrder,
    CrmService,
    CrmUnavailable,
    CrmVehicle,
    CrmWebhook,
    OrderListing,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

PAGE_LIMIT = 100  # ShopMonkey silently caps `limit` at 100
MAX_SERVICE_PAGES = 50  # a menu longer than 5,000 services means the paging is broken, not the menu
MAX_LISTING_PAGES = 50  # likewise for one order's appointments
MAX_ORDER_PAGES = 100  # per pass: 10,000 orders updated in one window means the filter is being ignored
MAX_LISTING_PASSES = 5
MAX_CALENDAR_PAGES = 50  # 5,000 appointments in one location-range means a filter is being ignored
# How long before the asked range an appointment may start and still run into it (a car kept overnight).
CALENDAR_LOOKBACK = timedelta(days=2)
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0


class OrderPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of ShopMonkey's order listing, exactly as it came back (no de-duplication)."""

    orders: list[CrmOrder]
    has_more: bool
    total: int | None


class ShopMonkeyCrm:
    """ShopMonkey as the application's CRM. Close it with `aclose()` (or `async with`)."""

    def __init__(
        self,
        api_key: str,
        base_url: str = "https://api.shopmonkey.cloud",
        *,
        default_region: str = "US",
        timeout: float = 10.0,
        max_retries: int = 4,
        max_retry_after: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ValueError("ShopMonkey api_key must not be empty")
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        if default_region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                f"default_region {default_region!r} is not an ISO 3166 region phonenumbers knows"
            )
        self._region = default_region
        self._max_retries = max_retries
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {api_key.strip()}",
                "Accept": "application/json",
                "User-Agent": "leadorch",
            },
            timeout=httpx.Timeout(timeout),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> ShopMonkeyCrm:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def list_orders_updated_since(self, since: datetime) -> OrderListing:
        """Every order version updated at or after `since`, read until the listing is complete (bounded)."""
        versions: dict[tuple[str, datetime], CrmOrder] = {}
        ids_returned: set[str] = set()
        rows = 0
        complete = False
        passes = 0
        for passes in range(1, MAX_LISTING_PASSES + 1):  # noqa: B007 (the count is reported)
            total: int | None = None
            truncated = True
            skip = 0
            for _ in range(MAX_ORDER_PAGES):
                page = await self.list_orders(since, skip=skip, limit=PAGE_LIMIT)
                rows += len(page.orders)
                total = page.total
                for order in page.orders:
                    ids_returned.add(order.id)
                    if order.updated_date >= since:  # the filter may have been ignored
                        versions[(order.id, order.updated_date)] = order
                if len(page.orders) < PAGE_LIMIT:
                    truncated = False
                    break
                skip += len(page.orders)
            if truncated:
                log.warning("ShopMonkey order listing still had rows after %d pages", MAX_ORDER_PAGES)
                break
            if total is None or len(ids_returned) >= total:
                complete = True
                break
        ordered = [versions[key] for key in sorted(versions, key=lambda key: key[1])]
        return OrderListing(orders=ordered, complete=complete, rows_returned=rows, passes=passes)

    async def list_orders(
        self, updated_since: datetime, *, skip: int = 0, limit: int = PAGE_LIMIT
    ) -> OrderPage:
        """One page of the listing, as ShopMonkey answered it (`list_orders_updated_since` reads them all)."""
        if updated_since.tzinfo is None:
            raise ValueError("updated_since must be timezone-aware")
        if skip < 0:
            raise ValueError(f"skip must be 0 or more, got {skip}")
        if not 1 <= limit <= PAGE_LIMIT:
            raise ValueError(f"limit must be between 1 and {PAGE_LIMIT}, got {limit}")
        params = {
            # Bare operators: ShopMonkey ignores `$gte` and answers with every order.
            "where": json.dumps({"updatedDate": {"gte": wire_datetime(updated_since)}}),
            "limit": str(limit),
            "skip": str(skip),
            # Lowercase in a query string: ShopMonkey ignores `orderBy` there, and unsorted skip-paging
            # repeats and misses rows. Oldest first: an order updated mid-walk moves to the end, still ahead.
            "orderby": json.dumps({"updatedDate": "asc"}),
        }
        body = await self._send("GET", "/v3/order", params=params)
        page = _decode(body, Envelope[list[WireOrder]], "order list")
        meta = page.meta
        return OrderPage(
            orders=[order_from_wire(row) for row in page.data],
            has_more=bool(meta and meta.has_more),
            total=meta.total if meta else None,
        )

    async def list_appointments_changed_since(self, since: datetime) -> AppointmentListing:
        """Every appointment changed at or after `since`, through `POST /v3/appointment/search` (the flat
        list ignores date filters). A row never updated has `updatedDate: null`, hence the OR on
        `createdDate`; sorted by the creation, which never moves, so skip-paging neither repeats nor
        misses a row that is updated mid-walk. Rows are checked against the filter again here."""
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        stamp = wire_datetime(since)
        where = {"OR": [{"updatedDate": {"gte": stamp}}, {"createdDate": {"gte": stamp}}]}
        versions: dict[tuple[str, datetime | None], CrmAppointment] = {}
        rows = 0
        for _ in range(MAX_ORDER_PAGES):
            body = {"where": where, "orderBy": {"createdDate": "asc"}, "limit": PAGE_LIMIT, "skip": rows}
            answer = await self._send("POST", "/v3/appointment/search", json_body=body)
            page = _decode(answer, Envelope[list[WireAppointment]], "appointment search")
            rows += len(page.data)
            for row in page.data:
                appointment = appointment_from_wire(row)
                if appointment.updated_date is not None and appointment.updated_date >= since:
                    versions[(appointment.id, appointment.updated_date)] = appointment
            if len(page.data) < PAGE_LIMIT:
                ordered = sorted(versions.values(), key=lambda a: (a.updated_date or since, a.id))
                return AppointmentListing(appointments=ordered, complete=True, rows_returned=rows)
        log.warning("ShopMonkey appointment search still had rows after %d pages", MAX_ORDER_PAGES)
        ordered = sorted(versions.values(), key=lambda a: (a.updated_date or since, a.id))
        return AppointmentListing(appointments=ordered, complete=False, rows_returned=rows)

    async def list_locations(self) -> list[CrmLocation]:
        rows = await self._list_all("/v3/location", WireLocation, "location list")
        return [CrmLocation(id=row.id, name=row.name) for row in rows]

    async def list_webhooks(self) -> list[CrmWebhook]:
        rows = await self._list_all("/v3/webhook", WireWebhook, "webhook list")
        return [
            CrmWebhook(
                id=row.id,
                name=row.name,
                url=row.url,
                enabled=row.enabled,
                error=row.error,
                error_message=row.error_message if row.error else None,
                error_date=row.error_date if row.error else None,
            )
            for row in rows
        ]

    async def _list_all(self, path: str, wire_type: type[T], what: str) -> list[T]:
        """Every row of a small listing, paged with `skip` (bounded: these lists are short)."""
        rows: list[T] = []
        for _ in range(MAX_SERVICE_PAGES):
            params = {"limit": str(PAGE_LIMIT), "skip": str(len(rows))}
            body = await self._send("GET", path, params=params)
            page = _decode(body, Envelope[list[wire_type]], what)  # type: ignore[valid-type]
            rows.extend(page.data)
            if not page.data or not (page.meta and page.meta.has_more):
                return rows
        raise CrmContractError(f"ShopMonkey {what} still had more rows after {MAX_SERVICE_PAGES} pages")

    async def get_order(self, order_id: str) -> CrmOrder:
        body = await self._send("GET", f"/v3/order/{_path_id(order_id, 'order')}", entity="order")
        return order_from_wire(_decode(body, Envelope[WireOrder], "order").data)

    async def get_customer(
        self, customer_id: str, *, email_id: str | None = None, phone_number_id: str | None = None
    ) -> CrmCustomer:
        body = await self._send("GET", f"/v3/customer/{_path_id(customer_id, 'customer')}", entity="customer")
        row = _decode(body, Envelope[WireCustomer], "customer").data
        return customer_from_wire(row, self._region, email_id=email_id, phone_number_id=phone_number_id)

    async def get_vehicle(self, vehicle_id: str) -> CrmVehicle:
        body = await self._send("GET", f"/v3/vehicle/{_path_id(vehicle_id, 'vehicle')}", entity="vehicle")
        return vehicle_from_wire(_decode(body, Envelope[WireVehicle], "vehicle").data)

    async def list_services(self, location_id: str | None = None) -> list[CrmService]:
        services: list[CrmService] = []
        for _ in range(MAX_SERVICE_PAGES):
            params = {"limit": str(PAGE_LIMIT), "skip": str(len(services))}
            if location_id:
                params["locationId"] = location_id
            body = await self._send("GET", "/v3/canned_service", params=params)
            page = _decode(body, Envelope[list[WireCannedService]], "canned service list")
            services.extend(service_from_wire(row) for row in page.data)
            if not page.data or not (page.meta and page.meta.has_more):
                break
        else:
            raise CrmContractError(f"canned service list still had more rows after {MAX_SERVICE_PAGES} pages")
        # An ignored filter would hand us every location's menu: keep only what was asked for.
        return [s for s in services if not location_id or s.location_id in (None, location_id)]

    async def appointments_on_order(self, order_id: str) -> list[CrmAppointment]:
        wanted = _path_id(order_id, "order")
        found: dict[str, CrmAppointment] = {}
        skip = 0
        for _ in range(MAX_LISTING_PAGES):
            params = {
                "where": json.dumps({"orderId": wanted}),
                "limit": str(PAGE_LIMIT),
                "skip": str(skip),
                # Lowercase in a query string: camelCase `orderBy` is ignored there (unstable pages).
                "orderby": json.dumps({"id": "asc"}),
            }
            body = await self._send("GET", "/v3/appointment", params=params)
            page = _decode(body, Envelope[list[WireAppointment]], "appointment list")
            for row in page.data:
                found.setdefault(row.id, appointment_from_wire(row))
            skip += len(page.data)
            if not page.data or not (page.meta and page.meta.has_more):
                break
        else:
            raise CrmContractError(f"appointment list still had more rows after {MAX_LISTING_PAGES} pages")
        # An ignored filter would hand us the whole calendar: keep only the order's appointments.
        return [appointment for appointment in found.values() if appointment.order_id == wanted]

    async def calendar(
        self, location_id: str, start: datetime, end: datetime, *, technician_ids: Sequence[str] = ()
    ) -> list[CalendarEntry]:
        wanted = _path_id(location_id, "location")
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("calendar start and end must be timezone-aware")
        if end <= start:
            raise ValueError(f"calendar end {end.isoformat()} is not after start {start.isoformat()}")
        # Both at once (one round trip when the technicians are known); then the technicians the
        # appointments name that were not asked for, whose recurring blocks only come back when named.
        asked = list(dict.fromkeys(technician_ids))
        rows, shown = await asyncio.gather(
            self._searched_appointments(wanted, start, end), self._recurring_and_all(start, end, asked)
        )
        seen = {t for row in rows for t in (row.technician_ids or ())}
        seen |= {t.id for row in rows for t in (row.technicians or ())}
        unasked = sorted(seen - set(asked))
        rows += shown
        if unasked:
            rows += await self._recurring_and_all(start, end, unasked)
        entries: dict[tuple[str, datetime], CalendarEntry] = {}
        for row in rows:
            # Filters may have been ignored (search_replacement has none for the location at all).
            if row.location_id not in (None, wanted) or not (row.start_date < end and row.end_date > start):
                continue
            entry = calendar_entry_from_wire(row)
            entries.setdefault((entry.id, entry.start), entry)
        return sorted(entries.values(), key=lambda entry: (entry.start, entry.end, entry.id))

    async def _searched_appointments(
        self, location_id: str, start: datetime, end: datetime
    ) -> list[WireAppointment]:
        """The location's (non-recurring) appointments starting in the range or shortly before it."""
        where = {
            "locationId": location_id,
            "startDate": {"gte": wire_datetime(start - CALENDAR_LOOKBACK), "lte": wire_datetime(end)},
        }
        rows: list[WireAppointment] = []
        for _ in range(MAX_CALENDAR_PAGES):
            body = {"where": where, "orderBy": {"startDate": "asc"}, "limit": PAGE_LIMIT, "skip": len(rows)}
            answer = await self._send("POST", "/v3/appointment/search", json_body=body)
            page = _decode(answer, Envelope[list[WireAppointment]], "appointment search")
            rows.extend(page.data)
            if not page.data or not (page.meta and page.meta.has_more):
                return rows
        raise CrmContractError(f"appointment search still had more rows after {MAX_CALENDAR_PAGES} pages")

    async def _recurring_and_all(
        self, start: datetime, end: datetime, technicians: list[str]
    ) -> list[WireAppointment]:
        """What ShopMonkey's own calendar shows for the technicians (and the unassigned column),
        recurring blocks expanded. Paged until `hasMore` is false: its total over-counts, so it is never
        a reason to read on."""
        rows: list[WireAppointment] = []
        for _ in range(MAX_CALENDAR_PAGES):
            body = {
                "dateMin": local_wire_datetime(start),
                "dateMax": local_wire_datetime(end),
                "technicians": technicians,  # required: without it only unassigned rows come back
                "limit": PAGE_LIMIT,
                "skip": len(rows),
            }
            answer = await self._send("POST", "/v3/appointment/search_replacement", json_body=body)
            page = _decode(answer, Envelope[list[WireAppointment]], "appointment search_replacement")
            rows.extend(page.data)
            if not page.data or not (page.meta and page.meta.has_more):
                return rows
        raise CrmContractError(
            f"appointment search_replacement still had more rows after {MAX_CALENDAR_PAGES} pages"
        )

    async def create_appointment(self, request: CrmAppointmentRequest) -> CrmAppointment:
        body = await self._send(
            "POST", "/v3/appointment", json_body=appointment_body(request), idempotent=False
        )
        return appointment_from_wire(_decode(body, Envelope[WireAppointment], "appointment").data)

    async def update_appointment(self, appointment_id: str, request: CrmAppointmentRequest) -> CrmAppointment:
        # ShopMonkey's reference documents PUT (partial update semantics) for "Update one appointment".
        path = f"/v3/appointment/{_path_id(appointment_id, 'appointment')}"
        body = await self._send("PUT", path, json_body=appointment_body(request), entity="appointment")
        return appointment_from_wire(_decode(body, Envelope[WireAppointment], "appointment").data)

    async def delete_appointment(self, appointment_id: str) -> None:
        path = f"/v3/appointment/{_path_id(appointment_id, 'appointment')}"
        # ShopMonkey rejects a DELETE without a JSON body, hence the empty object.
        body = await self._send("DELETE", path, json_body={}, entity="appointment")
        _decode(body, Envelope[Any], "appointment deletion")

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        entity: str | None = None,
        idempotent: bool = True,
    ) -> bytes:
        """The response body of the first answer that is not worth retrying; raises the port's errors."""
        what = f"ShopMonkey {method} {path}"
        for attempt in range(self._max_retries + 1):
            try:
                response = await self._client.request(method, path, params=params, json=json_body)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if not (idempotent or never_sent):
                    raise CrmUnavailable(
                        f"{what} failed ({problem}); not retried, it may have been applied"
                    ) from exc
                delay = _backoff(attempt)
            else:
                status = response.status_code
                if status < 400:
                    return response.content
                problem = f"HTTP {status}: {_error_message(response)}"
                if status == 429:
                    asked = _retry_after(response)
                    delay = _backoff(attempt) if asked is None else asked
                    if delay > self._max_retry_after:
                        raise CrmUnavailable(f"{what} rate limited; ShopMonkey asked to wait {delay:.0f} s")
                elif status >= 500 and idempotent:
                    delay = _backoff(attempt)
                elif status >= 500:
                    raise CrmUnavailable(f"{what} failed ({problem}); not retried, it may have been applied")
                elif status in (401, 403):
                    raise CrmAuthError(
                        f"{what} was refused ({problem}); check the API key and its permissions"
                    )
                elif status == 404 and entity:
                    raise CrmNotFound(f"ShopMonkey has no {entity} at {path} ({problem})")
                else:
                    raise CrmError(f"{what} was rejected ({problem})")
            if attempt == self._max_retries:
                break
            await self._sleep(delay)
        raise CrmUnavailable(f"{what} still failing after {self._max_retries + 1} attempts (last: {problem})")


def _decode(body: bytes, wire_type: type[Envelope[T]], what: str) -> Envelope[T]:
    try:
        envelope = msgspec.json.decode(body, type=wire_type)
    except msgspec.ValidationError as exc:
        raise CrmContractError(f"ShopMonkey {what} response broke the contract: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise CrmContractError(f"ShopMonkey {what} response is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise CrmContractError(f"ShopMonkey {what} response is nested too deeply") from exc
    if not envelope.success:
        raise CrmError(f"ShopMonkey {what} answered success=false")
    return envelope


def _path_id(value: str, entity: str) -> str:
    if not value or not value.strip() or "/" in value or "?" in value or "#" in value:
        raise ValueError(f"{entity} id {value!r} is not a ShopMonkey id")
    return value.strip()


def _backoff(attempt: int) -> float:
    return float(min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), if it has one."""
    raw = response.headers.get("Retry-After", "").strip()
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _error_message(response: httpx.Response) -> str:
    try:
        error = msgspec.json.decode(response.content, type=ErrorEnvelope)
    except msgspec.DecodeError:
        return response.text[:200] or response.reason_phrase
    return " ".join(part for part in (error.code, error.message) if part) or response.reason_phrase
