"""Composition root: settings → database → adapters → Bolt app → one ASGI app.

Everything is built here, at start-up, never at import time; tests call `build` with their
own settings (pointing at fakes on loopback) and database.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from integrations.outbox import Handler, OutboxWorker
from store.db import Database
from vigilo import pagerduty_wiring, slack_wiring
from vigilo.settings import Settings
from webhooks import health, site
from webhooks.security import SecurityHeaders


@dataclass
class Vigilo:
    """The assembled application, and the parts tests and the CLI reach into."""

    settings: Settings
    db: Database
    worker: OutboxWorker
    handlers: dict[str, Handler]
    asgi: Starlette | None = None
    # Adapters built by the wiring modules (Slack WebClient, Bolt app, ...), by name.
    parts: dict[str, Any] = field(default_factory=dict)


def build(settings: Settings, *, db: Database | None = None, run_worker: bool = True) -> Vigilo:
    database = db or Database.from_url(settings.database_url)
    handlers: dict[str, Handler] = {}
    worker = OutboxWorker(database, handlers)
    vigilo = Vigilo(settings=settings, db=database, worker=worker, handlers=handlers)
    routes: list[BaseRoute] = [
        *health.routes(database),
        *slack_wiring.wire(vigilo),
        *pagerduty_wiring.wire(vigilo),
        *site.routes(database, settings.base_url),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if run_worker:
            worker.start()
        # Wiring modules hand over what must start with the server and stop before it
        # (Socket Mode connection, the channel-capture writer that flushes queued messages).
        for hook in vigilo.parts.get("on_startup", []):
            hook()
        try:
            yield
        finally:
            for hook in vigilo.parts.get("on_shutdown", []):
                hook()
            worker.stop()

    # Security headers on every answer, health and Slack included, not only the pages.
    vigilo.asgi = Starlette(routes=routes, lifespan=lifespan,
                            middleware=[Middleware(SecurityHeaders)])
    return vigilo
