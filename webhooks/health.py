"""Liveness and readiness. Public, so they say little: ok / not ok, and which integration
has not started yet and why (what an operator watching a deploy needs first)."""

from collections.abc import Callable

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from store.db import Database
from store.migrate import at_head


def routes(db: Database, waiting: Callable[[], list[str]] = list) -> list[Route]:
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        ready = await anyio.to_thread.run_sync(lambda: db.ping() and at_head(db.engine))
        missing = waiting()
        body: dict[str, object] = {"status": "ok" if ready and not missing else "unavailable"}
        if missing:
            body["waiting"] = missing
        return JSONResponse(body, status_code=200 if ready and not missing else 503)

    return [Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"])]
