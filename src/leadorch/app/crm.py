"""Each tenant's CRM client, built once and shared by every thread and event loop of the process.

`ShopMonkeyCrm` is asynchronous and its pooled `httpx.AsyncClient` belongs to the event loop that first
used it. The application calls the CRM from Dramatiq worker threads (no loop), from the CLI and from
Litestar handlers (their own loop), so the clients live on one dedicated event-loop thread (`CrmLoop`)
and `crm_for` hands out a thin proxy whose coroutines run there: callable from any loop, and from plain
threads through `call_crm`. Connections are pooled per tenant across the whole process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from leadorch.ports.crm import (
    AppointmentListing,
    CalendarEntry,
    Crm,
    CrmAppointment,
    CrmAppointmentRequest,
    CrmCustomer,
    CrmError,
    CrmLocation,
    CrmOrder,
    CrmService,
    CrmVehicle,
    CrmWebhook,
    OrderListing,
)

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

T = TypeVar("T")

# Longer than the adapter's own retries (timeouts and backoff) can take, so it only fires on a hang.
CALL_TIMEOUT_SECONDS = 180.0


class CrmNotConfigured(CrmError):
    """The tenant has no CRM API key, so nothing can be read from or written to its CRM."""


class CrmLoop:
    """One asyncio event loop on a daemon thread, running every CRM coroutine of the process."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="leadorch-crm-loop", daemon=True)
        self._thread.start()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def close(self, closers: list[Callable[[], Awaitable[None]]]) -> None:
        for closer in closers:
            with contextlib.suppress(Exception):  # closing is best effort at shutdown
                self.submit(_awaited(closer)).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()


async def _awaited(closer: Callable[[], Awaitable[None]]) -> None:
    await closer()


class LoopBoundCrm:
    """A `Crm` whose calls run on the `CrmLoop`, whatever loop (or none) the caller is on."""

    def __init__(self, inner: Any, loop: CrmLoop) -> None:
        self._inner = inner
        self._loop = loop

    async def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if asyncio.get_running_loop() is self._loop.loop:
            return await coroutine
        return await asyncio.wrap_future(self._loop.submit(coroutine))

    async def list_orders_updated_since(self, since: datetime) -> OrderListing:
        listing: OrderListing = await self._run(self._inner.list_orders_updated_since(since))
        return listing

    async def list_appointments_changed_since(self, since: datetime) -> AppointmentListing:
        listing: AppointmentListing = await self._run(self._inner.list_appointments_changed_since(since))
        return listing

    async def list_locations(self) -> list[CrmLocation]:
        locations: list[CrmLocation] = await self._run(self._inner.list_locations())
        return locations

    async def list_webhooks(self) -> list[CrmWebhook]:
        webhooks: list[CrmWebhook] = await self._run(self._inner.list_webhooks())
        return webhooks

    async def get_order(self, order_id: str) -> CrmOrder:
        order: CrmOrder = await self._run(self._inner.get_order(order_id))
        return order

    async def get_customer(
        self, customer_id: str, *, email_id: str | None = None, phone_number_id: str | None = None
    ) -> CrmCustomer:
        customer: CrmCustomer = await self._run(
            self._inner.get_customer(customer_id, email_id=email_id, phone_number_id=phone_number_id)
        )
        return customer

    async def get_vehicle(self, vehicle_id: str) -> CrmVehicle:
        vehicle: CrmVehicle = await self._run(self._inner.get_vehicle(vehicle_id))
        return vehicle

    async def list_services(self, location_id: str | None = None) -> list[CrmService]:
        services: list[CrmService] = await self._run(self._inner.list_services(location_id))
        return services

    async def appointments_on_order(self, order_id: str) -> list[CrmAppointment]:
        found: list[CrmAppointment] = await self._run(self._inner.appointments_on_order(order_id))
        return found

    async def calendar(
        self, location_id: str, start: datetime, end: datetime, *, technician_ids: Sequence[str] = ()
    ) -> list[CalendarEntry]:
        entries: list[CalendarEntry] = await self._run(
            self._inner.calendar(location_id, start, end, technician_ids=technician_ids)
        )
        return entries

    async def create_appointment(self, request: CrmAppointmentRequest) -> CrmAppointment:
        created: CrmAppointment = await self._run(self._inner.create_appointment(request))
        return created

    async def update_appointment(self, appointment_id: str, request: CrmAppointmentRequest) -> CrmAppointment:
        updated: CrmAppointment = await self._run(self._inner.update_appointment(appointment_id, request))
        return updated

    async def delete_appointment(self, appointment_id: str) -> None:
        await self._run(self._inner.delete_appointment(appointment_id))


class CrmClients:
    """The process's CRM clients by tenant (rebuilt when a tenant's API key changes)."""

    def __init__(self, factory: Callable[[str], Any]) -> None:
        self._factory = factory  # api_key -> adapter with `aclose()`
        self._loop: CrmLoop | None = None
        self._clients: dict[str, tuple[str, LoopBoundCrm, Any]] = {}
        self._lock = threading.Lock()

    def client(self, tenant_id: str, api_key: str) -> LoopBoundCrm:
        fingerprint = hashlib.sha256(api_key.encode()).hexdigest()
        stale: Any = None
        with self._lock:
            cached = self._clients.get(tenant_id)
            if cached is not None and cached[0] == fingerprint:
                return cached[1]
            if self._loop is None:
                self._loop = CrmLoop()
            inner = self._factory(api_key)
            proxy = LoopBoundCrm(inner, self._loop)
            if cached is not None:
                stale = cached[2]
            self._clients[tenant_id] = (fingerprint, proxy, inner)
        if stale is not None:
            self._loop.submit(_awaited(stale.aclose))
        return proxy

    def run(self, coroutine: Coroutine[Any, Any, T], *, timeout: float = CALL_TIMEOUT_SECONDS) -> T:
        """Run a coroutine on the CRM loop from a plain thread and wait for its result."""
        return self.submit(coroutine).result(timeout=timeout)

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        """Start a coroutine on the CRM loop; its future (to wait with a deadline of one's own, or cancel)."""
        with self._lock:
            if self._loop is None:
                self._loop = CrmLoop()
            loop = self._loop
        return loop.submit(coroutine)

    def close(self) -> None:
        with self._lock:
            loop, clients = self._loop, list(self._clients.values())
            self._clients.clear()
            self._loop = None
        if loop is not None:
            loop.close([inner.aclose for _, _, inner in clients])


def shopmonkey_clients(base_url: str) -> CrmClients:
    """The CRM client registry of a process whose tenants are on ShopMonkey at `base_url`."""
    return CrmClients(_shopmonkey_factory(base_url))


def shopmonkey_client(base_url: str, api_key: str) -> Any:
    """A one-off ShopMonkey client (`async with` it), for an operator command outside a container."""
    return _shopmonkey_factory(base_url)(api_key)


def _shopmonkey_factory(base_url: str) -> Callable[[str], Any]:
    def build(api_key: str) -> Any:
        from leadorch.adapters.shopmonkey import ShopMonkeyCrm

        return ShopMonkeyCrm(api_key, base_url)

    return build


def crm_for(container: Container, tenant_id: str) -> Crm:
    """The tenant's CRM (ShopMonkey with the tenant's API key), usable from any thread or event loop.

    Raises `CrmNotConfigured` when the tenant has no API key, and the configuration's `UnknownTenant`
    for a tenant that does not exist.
    """

    credentials = container.config.repository.crm_credentials(tenant_id)
    if credentials.api_key is None:
        raise CrmNotConfigured(f"tenant {tenant_id!r} has no CRM API key configured")
    return container.crm.client(tenant_id, credentials.api_key.reveal())


def call_crm(container: Container, tenant_id: str, call: Callable[[Crm], Coroutine[Any, Any, T]]) -> T:
    """Run `call(crm)` for the tenant from a plain (non-async) thread and return its result."""
    crm = crm_for(container, tenant_id)
    return container.crm.run(call(crm))
