"""`POST /integrations/pagerduty_events/`: PagerDuty webhooks v3.

The signature is checked on the raw body (else 401, nothing stored); the event is stored
in the inbox, de-duplicated by its id, and answered once its row is committed (group-committed
with whatever else arrived meanwhile, Slack's deliveries included); the inbox's PagerDuty
taker works it after the answer.
"""

import json
import logging
from functools import partial

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from integrations.pagerduty.settings import PagerDutySettings
from integrations.pagerduty.signature import verify
from services import pagerduty_inbound
from services.inbox_writer import InboxWriter

log = logging.getLogger(__name__)

MAX_BODY = 512 * 1024
PATH = "/integrations/pagerduty_events/"


def routes(settings: PagerDutySettings, writer: InboxWriter) -> list[BaseRoute]:
    endpoint = partial(receive, settings, writer)
    return [Route(PATH, endpoint, methods=["POST"]),
            Route(PATH.rstrip("/"), endpoint, methods=["POST"])]


async def receive(settings: PagerDutySettings, writer: InboxWriter,
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
        raw = body.decode("utf-8")
        delivery = pagerduty_inbound.parse(json.loads(raw))
    except ValueError as error:  # not UTF-8, not JSON, or not a v3 event
        reason = (str(error) if isinstance(error, pagerduty_inbound.BadDelivery)
                  else "the body is not JSON")
        return _error(400, reason)
    if "\x00" in raw:  # escaped NUL is fine in JSON; a raw one PostgreSQL cannot store
        return _error(400, "the body holds a raw NUL character")
    try:
        row_id = await writer.store(pagerduty_inbound.incoming(raw, delivery))
    except Exception:  # not stored, so not a 2xx: PagerDuty delivers it again
        return _error(503, "Vigilo's database is unavailable; nothing was stored")
    if row_id is None:
        return JSONResponse({"ok": True, "event": delivery.event_id, "duplicate": True})
    return JSONResponse({"ok": True, "event": delivery.event_id, "duplicate": False},
                        status_code=202)


def _error(status: int, reason: str) -> Response:
    return JSONResponse({"ok": False, "error": reason}, status_code=status)
