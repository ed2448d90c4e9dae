"""`POST /integrations/twilio_status/`: Twilio's message status callbacks.

X-Twilio-Signature is checked with twilio's RequestValidator against the callback URL we
gave Twilio (VIGILO_BASE_URL's, which a proxy in front does not change); else 401 and
nothing changes. Each status lands on the incident's timeline; a failed or undelivered page
is told to the commander.
"""

import logging
from functools import partial
from urllib.parse import parse_qsl

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from twilio.request_validator import RequestValidator

from integrations.twilio.settings import TwilioSettings
from services import integration_log, paging
from store.db import Database

log = logging.getLogger(__name__)

PATH = "/integrations/twilio_status/"
MAX_BODY = 64 * 1024


def routes(db: Database, settings: TwilioSettings) -> list[BaseRoute]:
    endpoint = partial(receive, db, settings)
    return [Route(PATH, endpoint, methods=["POST"]),
            Route(PATH.rstrip("/"), endpoint, methods=["POST"])]


async def receive(db: Database, settings: TwilioSettings, request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_BODY:
        return _error(413, f"the body is over {MAX_BODY} bytes")
    if not settings.auth_token:
        return _error(401, "TWILIO_AUTH_TOKEN is unset: status callbacks are refused")
    try:  # Twilio posts application/x-www-form-urlencoded, one value per field
        fields = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        return _error(400, "the body is not a form")
    form = dict(fields)
    url = settings.status_callback + (f"?{request.url.query}" if request.url.query else "")
    signature = request.headers.get("x-twilio-signature") or ""
    if not RequestValidator(settings.auth_token).validate(url, form, signature):
        log.warning("Twilio status callback with a bad signature refused")
        return _error(401, "the X-Twilio-Signature does not match")
    sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "")
    if not sid or not status:
        return _error(400, "MessageSid and MessageStatus are required")
    outcome = await anyio.to_thread.run_sync(paging.status_callback, db, sid, status,
                                             form.get("ErrorCode"))
    await anyio.to_thread.run_sync(partial(integration_log.inbound, db, "twilio",
                                           f"status.{status}"[:64], f"{sid}: {outcome}"))
    return JSONResponse({"ok": True, "outcome": outcome})


def _error(status: int, reason: str) -> Response:
    return JSONResponse({"ok": False, "error": reason}, status_code=status)
