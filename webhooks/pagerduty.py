"""`POST /integrations/pagerduty_events/`: PagerDuty webhooks v3.

The signature is checked on the raw body (else 401, nothing stored); the event is stored,
de-duplicated by its id, and answered at once; the inbox works it after the answer, on a
thread of its own.
"""

import json
import logging
from functools import partial

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from integrations.pagerduty.inbox import Inbox
from integrations.pagerduty.settings import PagerDutySettings
from integrations.pagerduty.signature import verify
from services import pagerduty_inbound
from store.db import Database

log = logging.getLogger(__name__)

MAX_BODY = 512 * 1024
PATH = "/integrations/pagerduty_events/"


def routes(db: Database, settings: PagerDutySettings, inbox: Inbox) -> list[BaseRoute]:
    endpoint = partial(receive, db, settings, inbox)
    return [Route(PATH, endpoint, methods=["POST"]),
            Route(PATH.rstrip("/"), endpoint, methods=["POST"])]


async def receive(db: Database, settings: PagerDutySettings, inbox: Inbox,
                  request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_BODY:
        return _error(413, f"the body is over {MAX_BODY} bytes")
    if not settings.secrets:
        return _error(401, "PAGERDUTY_WEBHOOK_SECRET is unset: inbound webhooks are refused")
    if not verify(settings.secrets, body, request.headers.get("x-pagerduty-signature")):
        log.warning("PagerDuty webhook with a bad or missing signature refused")
        return _error(401, "the X-PagerDuty-Signature does not match")
    try:
        payload = json.loads(body)
    except ValueError:
        return _error(400, "the body is not JSON")
    try:
        row_id, delivery = await anyio.to_thread.run_sync(pagerduty_inbound.receive, db,
                                                          payload)
    except pagerduty_inbound.BadDelivery as error:
        return _error(400, str(error))
    if row_id is None:
        return JSONResponse({"ok": True, "event": delivery.event_id, "duplicate": True})
    inbox.put(row_id)
    return JSONResponse({"ok": True, "event": delivery.event_id, "duplicate": False},
                        status_code=202)


def _error(status: int, reason: str) -> Response:
    return JSONResponse({"ok": False, "error": reason}, status_code=status)
