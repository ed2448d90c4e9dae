"""Socket Mode with the same promise as /slack/events: stored before it is acked.

Bolt's SocketModeHandler runs the app and acks whatever it answers; here each envelope is
written to the inbox first (the same row, key and writer as over HTTP: a redelivered event
keeps its event id, a command or click its body), and only then run and acked. Channel
messages are acked without Bolt (the inbox worker captures them); commands, clicks and form
submissions run through Bolt under a `Ticket`, so their row is settled when their work
ends, and a replica that crashes before that leaves them for the inbox worker to replay,
answering through their response_url, as it does for HTTP ones. An envelope that cannot be
stored is not acked: Slack delivers events again, and a person sees their command fail
instead of it vanishing.
"""

import json
import logging
from time import time
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import build_headers, send_response
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.inbox import Ticket, incoming
from bot.slack_request import JSON, BadRequest, SlackRequest, check_shape
from services.inbox_writer import InboxWriter
from store.inbox_models import MESSAGE

log = logging.getLogger(__name__)

STORE_WAIT = 10.0  # seconds; past it no ack is sent, and Slack delivers the envelope again


class StoringSocketModeHandler(SocketModeHandler):
    def __init__(self, app: App, app_token: str | None, writer: InboxWriter) -> None:
        super().__init__(app, app_token)
        self.writer = writer

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        started = time()
        body: Any = req.payload
        try:
            if not isinstance(body, dict):
                raise BadRequest(400, "the envelope's payload is not an object")
            check_shape(body)
        except BadRequest as error:  # Slack never sends these; acked so it stops resending
            log.warning("a Socket Mode envelope (%s) Vigilo cannot read: %s", req.type,
                        error.reason)
            self._ack(client, req)
            return
        raw = json.dumps(body)
        row = incoming(raw, body, JSON)
        headers: dict[str, Any] = dict(build_headers(req) or {}) | {"content-type": JSON}
        # Socket Mode has no signature to check; `replay` is what says so to Bolt.
        request = SlackRequest(raw, body, headers, replay=True)
        if row is None:  # nothing a person typed: run it as Bolt would
            send_response(client, req, self.app.dispatch(request), started)
            return
        try:
            inbox_id = self.writer.submit(row).result(STORE_WAIT)
        except Exception:
            log.exception("a Socket Mode envelope (%s) could not be stored; not acked",
                          req.type)
            return
        if row.kind == MESSAGE or inbox_id is None:  # the worker's, or stored already
            self._ack(client, req)
            return
        ticket = Ticket(lambda: self.writer.settle(inbox_id))
        send_response(client, req, ticket.run(self.app.dispatch, request), started)

    @staticmethod
    def _ack(client: SocketModeClient, req: SocketModeRequest) -> None:
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
