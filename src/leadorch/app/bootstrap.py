"""The composition root: the one place where settings become real objects wired together.

`bootstrap()` builds every long-lived collaborator of a process once, into a typed `Container`; each can
be replaced by an argument (tests pass their fakes of our ports here, as cosmicpython's
`bootstrap(uow=…, notifications=…)` does). Nothing else builds a collaborator on first use, and no
request ever decides which provider to talk to: a deployment without SendGrid or Twilio credentials gets
the local stand-ins here, at start, with one warning.

Where each field comes from is listed in ARCHITECTURE.md ("Wiring").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from leadorch.adapters.clocks import AdjustableClock, SystemClock
from leadorch.adapters.phone_geography import PhoneNumberGeography
from leadorch.app.booking.calendar_cache import CalendarCache
from leadorch.app.booking.service import BookingService
from leadorch.app.chat.assistants import AssistantLoop, build_assistant
from leadorch.app.chat.rate_limits import ChatRateLimits
from leadorch.app.chat.service import ChatService
from leadorch.app.config.repository import ConfigRepository
from leadorch.app.config.secrets import SecretBox
from leadorch.app.config.service import ConfigService
from leadorch.app.crm import CrmClients, shopmonkey_clients
from leadorch.app.db import Database, open_database, schema_lock
from leadorch.app.eventstore.store import EventStore, open_event_store
from leadorch.app.group_commit import GroupCommitWriter
from leadorch.app.ingestion.inbox import NewRow, WebhookInbox
from leadorch.app.ingestion.service import IngestionService
from leadorch.app.ingestion.tenancy import WebhookSecrets
from leadorch.app.links import LinkSigner
from leadorch.app.messaging import (
    SendsNothing,
    StandIns,
    build_messenger,
    check_messaging_settings,
    missing_messaging_settings,
    start_standins,
)
from leadorch.app.projections.daemon import ProjectionDaemon
from leadorch.app.projections.registry import all_projections
from leadorch.app.projections.runner import ReadModelRunner
from leadorch.app.schema import create_tables
from leadorch.app.senders import check_location_senders, every_location
from leadorch.app.settings import Settings, SettingsError, check_deployment_secrets, load_settings
from leadorch.app.touches.tick import RecentlyEnqueued
from leadorch.app.worker.liveness import WorkerLiveness
from leadorch.ports.assistant import Assistant
from leadorch.ports.clock import Clock
from leadorch.ports.messaging import Messenger
from leadorch.ports.recipients import RecipientLocator

if TYPE_CHECKING:  # each pulls in a stack of its own (the demo's stand-ins, Redis and Dramatiq)
    from leadorch.app.demo.environment import DemoEnvironment
    from leadorch.app.worker.runtime import Runtime


class Container:
    """Every long-lived object of one process, built by `bootstrap()`.

    The services (`ingestion`, `booking`, `chat`) hold the container itself and read their
    collaborators from it at call time, so a field replaced after start (a test's fake) is used at once.
    `runtime` is set when the process starts (or feeds) background workers (`app/background.py`); without
    one, jobs run inline (`app/worker/enqueue.py`). `demo` is set by `leadorch demo`.

    A plain class, not a dataclass: Litestar checks each injected value against its declared type, and
    for a dataclass that means resolving every annotation of every field's type, all the way down.
    """

    ingestion: IngestionService
    booking: BookingService
    chat: ChatService

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        store: EventStore,
        clock: Clock,
        config: ConfigService,
        crm: CrmClients,
        messenger: Messenger,
        standins: StandIns | None,
        assistant: Assistant,
        assistant_loop: AssistantLoop,
        links: LinkSigner,
        webhook_secrets: WebhookSecrets,
        inbox_writer: GroupCommitWriter[NewRow, bool],
        chat_rate_limits: ChatRateLimits,
        recently_enqueued: RecentlyEnqueued,
        projections: ProjectionDaemon,
        calendar_cache: CalendarCache,
        recipients: RecipientLocator,
        liveness: WorkerLiveness,
        closers: list[Callable[[], None]] | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.store = store
        self.clock = clock
        self.config = config
        self.crm = crm
        self.messenger = messenger
        self.standins = standins
        self.assistant = assistant
        self.assistant_loop = assistant_loop
        self.links = links
        self.webhook_secrets = webhook_secrets
        self.inbox_writer = inbox_writer
        self.chat_rate_limits = chat_rate_limits
        self.recently_enqueued = recently_enqueued
        self.projections = projections
        # The shop's CRM calendar per location-day, for a few seconds (one read serves a chat turn).
        self.calendar_cache = calendar_cache
        # Where a customer's number presumably is (state, zones): the sending rules protect them there.
        self.recipients = recipients
        # This process's worker id and heartbeat (once it runs worker threads), and who else is alive.
        self.liveness = liveness
        self.closers: list[Callable[[], None]] = closers if closers is not None else []
        self.runtime: Runtime | None = None
        self.demo: DemoEnvironment | None = None

    def on_close(self, closer: Callable[[], None]) -> None:
        """Run `closer` when the container closes (newest first, before the database)."""
        self.closers.append(closer)

    def close(self) -> None:
        for closer in reversed(self.closers):
            closer()
        self.closers.clear()
        self.db.close()
        recorder = getattr(self.store.factory, "datastore", None)
        if recorder is not None and hasattr(recorder, "close"):
            recorder.close()


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    store: EventStore | None = None,
    messenger: Messenger | None = None,
    assistant: Assistant | None = None,
    crm: CrmClients | None = None,
    chat_rate_limits: ChatRateLimits | None = None,
    recipients: RecipientLocator | None = None,
    sends_messages: bool = False,
    messaging: bool = True,
) -> Container:
    """Build the container for `settings` (default: from the environment) and create missing tables.

    `store`: an event store of the caller's (e.g. `memory_event_store()` for the fast test tier).
    `sends_messages`: the process will contact customers (`serve`, `worker`); a deployment without
    messaging credentials is then refused with `SettingsError` (see `app/messaging.py`). Operator
    commands (tenants, audit, projections) run regardless.
    `messaging=False`: the process sends nothing (those operator commands): no provider SDK is imported
    and no stand-in starts, which cost such a command more than its own work; `container.messenger` is
    `SendsNothing`, which refuses every send, and `container.standins` is None.
    """
    if sends_messages and not messaging:
        raise ValueError("a process that sends messages needs messaging")
    settings = settings or load_settings()
    if sends_messages:
        check_deployment_secrets(settings)  # no demo or placeholder secret opens a real deployment
        check_messaging_settings(settings)  # before anything starts: never send into the void

    # One process at a time creates the schema (and it fails in seconds if the database is unreachable).
    with schema_lock(settings.database_url):
        db = open_database(settings.database_url)
        if store is None:
            store = open_event_store(settings.database_url, codec=settings.event_codec)
        create_tables(db)
    if clock is None:
        clock = AdjustableClock() if settings.demo_clock else SystemClock()
    closers: list[Callable[[], None]] = []

    config = ConfigService(ConfigRepository(db, SecretBox(settings.secret_key), clock))
    standins: StandIns | None = None
    if messaging and missing_messaging_settings(settings):
        standins = start_standins(settings, config, clock=clock.now)
        closers.append(standins.stop)
    if messenger is None:
        messenger = build_messenger(settings, standins) if messaging else SendsNothing()
    if crm is None:
        crm = shopmonkey_clients(settings.shopmonkey_base_url)
    closers.append(crm.close)
    inbox_writer = GroupCommitWriter(WebhookInbox(db).commit_rows, name="inbox-writer")
    closers.append(inbox_writer.close)
    assistant = assistant if assistant is not None else build_assistant(settings)
    assistant_loop = AssistantLoop()
    projections = ProjectionDaemon(ReadModelRunner(db, store, all_projections()))
    store.after_save.append(lambda _recordings: projections.wake())  # read models follow every save
    container = Container(
        settings=settings,
        db=db,
        store=store,
        clock=clock,
        config=config,
        crm=crm,
        messenger=messenger,
        standins=standins,
        assistant=assistant,
        assistant_loop=assistant_loop,
        links=LinkSigner(secret_key=settings.secret_key, public_base_url=settings.public_base_url),
        webhook_secrets=WebhookSecrets(config.repository),
        inbox_writer=inbox_writer,
        chat_rate_limits=chat_rate_limits or ChatRateLimits(),
        recently_enqueued=RecentlyEnqueued(),
        projections=projections,
        calendar_cache=CalendarCache(),
        recipients=recipients or PhoneNumberGeography(),
        liveness=WorkerLiveness(db),
        closers=closers,
    )
    # The loop closes the assistant the container holds at close time (a test's replacement too).
    container.on_close(lambda: assistant_loop.close(container.assistant))
    container.on_close(projections.stop)
    container.ingestion = IngestionService(container)
    container.booking = BookingService(container)
    container.chat = ChatService(container)
    if sends_messages:
        _refuse_locations_without_senders(container)
    return container


def _refuse_locations_without_senders(container: Container) -> None:
    """With real credentials, a location without a sender would fail every message (`app/senders.py`)."""
    try:
        check_location_senders(every_location(container.config), container.settings)
    except SettingsError:
        container.close()
        raise
