"""The composition root: the one place where settings become real objects wired together.

Everything else receives what it needs from a `Container`; tests build one with fakes of our own ports
(or stand-ins at the wire) through the same function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadorch.adapters.clocks import AdjustableClock, SystemClock
from leadorch.adapters.phone_geography import PhoneNumberGeography
from leadorch.app.booking.calendar_cache import CalendarCache
from leadorch.app.db import Database, open_database, schema_lock
from leadorch.app.eventstore.store import EventStore, open_event_store
from leadorch.app.messaging import check_messaging_settings
from leadorch.app.settings import Settings, SettingsError, check_deployment_secrets, load_settings
from leadorch.ports.clock import Clock
from leadorch.ports.recipients import RecipientLocator


@dataclass
class Container:
    settings: Settings
    db: Database
    store: EventStore
    clock: Clock
    # The shop's CRM calendar per location-day, for a few seconds (one read serves a chat turn).
    calendar_cache: CalendarCache = field(default_factory=CalendarCache)
    recipients: RecipientLocator = field(default_factory=PhoneNumberGeography)
    """Where a customer's number presumably is (state, zones): the sending rules protect them there."""
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        for closer in reversed(self.extras.get("_closers", [])):
            closer()
        self.db.close()
        recorder = getattr(self.store.factory, "datastore", None)
        if recorder is not None and hasattr(recorder, "close"):
            recorder.close()


def bootstrap(
    settings: Settings | None = None, *, clock: Clock | None = None, sends_messages: bool = False
) -> Container:
    """Build the container for `settings` (default: from the environment) and create missing tables.

    `sends_messages`: the process will contact customers (`serve`, `worker`); a deployment without
    messaging credentials is then refused with `SettingsError` (see `app/messaging.py`). Operator
    commands (tenants, audit, projections) run regardless.
    """
    settings = settings or load_settings()
    if sends_messages:
        check_deployment_secrets(settings)  # no demo or placeholder secret opens a real deployment
        check_messaging_settings(settings)  # before anything starts: never send into the void
    from leadorch.app.schema import create_tables

    # One process at a time creates the schema (and it fails in seconds if the database is unreachable).
    with schema_lock(settings.database_url):
        db = open_database(settings.database_url)
        store = open_event_store(settings.database_url, codec=settings.event_codec)
        create_tables(db)
    if clock is None:
        clock = AdjustableClock() if settings.demo_clock else SystemClock()
    container = Container(settings=settings, db=db, store=store, clock=clock, calendar_cache=CalendarCache())
    if sends_messages:
        _refuse_locations_without_senders(container)
    return container


def _refuse_locations_without_senders(container: Container) -> None:
    """With real credentials, a location without a sender would fail every message (`app/senders.py`)."""
    from leadorch.app.config import config_service
    from leadorch.app.senders import check_location_senders, every_location

    try:
        check_location_senders(every_location(config_service(container)), container.settings)
    except SettingsError:
        container.close()
        raise
