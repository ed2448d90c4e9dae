"""Composition root: settings → database → integrations → Bolt app → one ASGI app.

Everything is built here, at start-up, never at import time, and building does no network
I/O: integrations start in the lifespan, in the background, retried until they answer, so
`/healthz` answers at once and `/readyz` says what is still missing. Tests call `build` with
their own settings (pointing at fakes on loopback) and database, then `vigilo.start()`.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from integrations.outbox import OutboxWorker
from integrations.pagerduty.inbox import Inbox
from integrations.registry import Registry
from services.inbox_writer import InboxWriter
from store import wake
from store.db import Database
from store.inbox_models import SOURCES
from vigilo import inbound_wiring, integrations, slack_wiring
from vigilo.scheduler import Scheduler
from vigilo.settings import Settings
from webhooks import health, metrics, site
from webhooks.foreground import Foreground, InFlight
from webhooks.request_id import RequestId
from webhooks.security import SecurityHeaders


@dataclass
class Vigilo:
    """The assembled application, and the parts tests and the CLI reach into."""

    settings: Settings
    db: Database
    registry: Registry
    worker: OutboxWorker
    # Stores every store-first delivery (Slack's, PagerDuty's) before its 2xx, group-committed.
    inbox_writer: InboxWriter
    # Requests in flight, which background work gives way to (webhooks.foreground).
    foreground: Foreground
    scheduler: Scheduler | None = None
    asgi: Starlette | None = None
    slack: slack_wiring.SlackWiring | None = None
    pagerduty_inbox: Inbox | None = None  # works stored PagerDuty deliveries
    # What must start with the server and stop before it, beside the integrations.
    on_startup: list[Callable[[], object]] = field(default_factory=list)
    on_shutdown: list[Callable[[], object]] = field(default_factory=list)

    def start(self) -> None:
        """Start every integration now (tests, one-shot CLI); the first failure raises."""
        self.registry.start()

    def stop(self) -> None:
        for hook in self.on_shutdown:
            hook()
        self.registry.stop()


def build(settings: Settings, *, db: Database | None = None, run_worker: bool = True,
          run_scheduler: bool | None = None) -> Vigilo:
    """`run_scheduler` defaults to `run_worker`: the replica that delivers also schedules.
    A `web` process (settings.role) runs neither: it stores, acks and wakes the workers."""
    database = db or Database.from_url(settings.database_url)
    if settings.role == "web":
        run_worker = run_scheduler = False
    registry = integrations.registry(settings, database)
    foreground = Foreground()
    worker = OutboxWorker(database, registry.handlers, off=registry.off,
                          threads=settings.outbox_threads, lease=settings.outbox_lease,
                          give_way=foreground.give_way)
    vigilo = Vigilo(settings=settings, db=database, registry=registry, worker=worker,
                    foreground=foreground,
                    inbox_writer=InboxWriter(database, lease=settings.inbox_lease),
                    scheduler=Scheduler(database, notify=worker.notify,
                                        retention=timedelta(days=settings.retention_days)))
    scheduled = run_worker if run_scheduler is None else run_scheduler
    routes: list[BaseRoute] = [
        *metrics.routes(database),
        *health.routes(database, waiting=lambda: registry.waiting),
        *slack_wiring.wire(vigilo),
        *inbound_wiring.wire(vigilo),
        *site.routes(database, settings.base_url),
    ]
    wake_across_processes(vigilo)
    # Last: what the inbox takers settled on their way out is written before the end.
    vigilo.on_shutdown.append(vigilo.inbox_writer.stop)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if run_worker:
            worker.start()
        if scheduled and vigilo.scheduler is not None:
            vigilo.scheduler.start()
        registry.start_in_background()
        for hook in vigilo.on_startup:
            hook()
        try:
            yield
        finally:
            vigilo.stop()
            if vigilo.scheduler is not None:
                vigilo.scheduler.stop()
            worker.stop()

    # Security headers on every answer, health and Slack included, not only the pages.
    vigilo.asgi = Starlette(routes=routes, lifespan=lifespan,
                            middleware=[Middleware(InFlight, foreground=foreground),
                                        Middleware(RequestId), Middleware(SecurityHeaders)])
    return vigilo


def wake_across_processes(vigilo: Vigilo) -> None:
    """A web process tells the workers when it stored deliveries or recorded effects; a
    worker process listens and wakes its takers (store.wake)."""
    url = vigilo.db.engine.url.render_as_string(hide_password=False)
    if vigilo.settings.role == "web":
        notifier = wake.Notifier(url)
        for source in SOURCES:
            vigilo.inbox_writer.on_written(source, lambda: notifier.poke(wake.INBOX))
        vigilo.db.on_effects(lambda: notifier.poke(wake.OUTBOX))
        vigilo.on_shutdown.append(notifier.stop)
    elif vigilo.settings.role == "worker":
        listener = wake.Listener(url, {wake.INBOX: vigilo.inbox_writer.stored_elsewhere,
                                       wake.OUTBOX: vigilo.worker.notify})
        vigilo.on_startup.append(listener.start)
        vigilo.on_shutdown.insert(0, listener.stop)
