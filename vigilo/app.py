"""Composition root: settings → database → adapters → Bolt app → one ASGI app.

Everything is built here, at start-up, never at import time; tests call `build` with fakes.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from integrations.outbox import Handler, OutboxWorker
from store.db import Database
from vigilo.settings import Settings
from webhooks import health


@dataclass
class Vigilo:
    """The assembled application and the parts tests and the CLI reach into."""

    settings: Settings
    db: Database
    worker: OutboxWorker
    asgi: Starlette
    extras: dict[str, Any] = field(default_factory=dict)


# Feature packages add their routes and effect handlers through these hooks, so the
# composition root stays the one place that knows the whole wiring.
RouteFactory = Callable[["Vigilo"], list[BaseRoute]]


def build(settings: Settings, *, db: Database | None = None,
          handlers: dict[str, Handler] | None = None, run_worker: bool = True,
          extra_routes: list[BaseRoute] | None = None) -> Vigilo:
    database = db or Database.from_url(settings.database_url)
    effect_handlers: dict[str, Handler] = dict(handlers or {})
    worker = OutboxWorker(database, effect_handlers)
    routes: list[BaseRoute] = [*health.routes(database), *(extra_routes or [])]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if run_worker:
            worker.start()
        try:
            yield
        finally:
            worker.stop()

    asgi = Starlette(routes=routes, lifespan=lifespan)
    return Vigilo(settings=settings, db=database, worker=worker, asgi=asgi)
