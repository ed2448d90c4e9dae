"""The Bolt app: every listener module registers itself, as in Bolt's starter template.

Every listener acks first and hands what is slow to `bot.jobs`, so it returns within a
millisecond or two. That is why `process_before_response` is on: Bolt then runs the
listener in the dispatching thread and answers when it returns, instead of running it on a
second thread that the dispatcher polls every 10 ms for the ack. Measured with 50 concurrent
users (bench/bench_slack_ack.py), that halves the median ack and cuts its p99 several-fold.
A listener must therefore never do slow work before returning (a modal's submission checks
only what the form can, bot/modals/flow.py).

The ASGI endpoint stores each delivery in the inbox before answering (services/inbox_writer.py)
and runs Bolt's (blocking) dispatch on worker threads, never on the event loop; Socket Mode
stores the same rows first too (bot/socket_mode.py).
"""

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import anyio
from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_bolt.middleware.authorization.single_team_authorization import (
    SingleTeamAuthorization,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web import SlackResponse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot import (
    actions,
    commands,
    home,
    insight_actions,
    modals,
    postmortem_actions,
    slack_request,
    timeline_actions,
    timeline_capture,
)
from bot.inbox import Ticket, incoming
from bot.people import People
from bot.runtime import Bot, TrackedExecutor
from bot.slack_request import BadRequest, SlackRequest
from services.inbox import Delivery
from services.inbox_writer import InboxWriter
from store.inbox_models import MESSAGE

log = logging.getLogger(__name__)

Answer = Callable[[dict[str, Any]], dict[str, Any] | None]

DISPATCH_THREADS = 32  # concurrent Bolt dispatches; each returns as soon as ack() is called


def build_app(bot: Bot, people: People, *, signing_secret: str | None) -> App:
    """`signing_secret=None` is Socket Mode, where requests arrive over the websocket
    (bot.socket_mode stores them first, as `events_endpoint` does over HTTP). Channel
    messages never reach Bolt: both store them for the inbox worker and ack."""
    app = App(client=bot.client, signing_secret=signing_secret or "",
              request_verification_enabled=signing_secret is not None,
              # Bolt would call auth.test right here; building must not need Slack up.
              token_verification_enabled=False,
              process_before_response=True)

    @app.middleware
    def kept_respond(context: BoltContext, next_: Callable[[], BoltResponse]) -> BoltResponse:
        # Before any listener asks for it: Bolt's own respond() opens a connection per reply.
        if context.response_url:
            context["respond"] = bot.respond_to(context.response_url)
        return next_()

    commands.register(app, bot, people)
    actions.register(app, bot, people)
    insight_actions.register(app, bot, people)
    postmortem_actions.register(app, bot, people)
    timeline_actions.register(app, bot, people)
    timeline_capture.register(app, bot, people)
    modals.register(app, bot, people)
    home.register(app, bot)

    def on_other_event() -> None:
        """Events nobody listens to still get their 200, so Slack does not retry them."""

    app.event(re.compile(r".*"))(on_other_event)
    return app


def prime_authorization(app: App, identity: SlackResponse) -> None:
    """Hand Bolt the `auth.test` answer start-up already has, so the first request does not
    wait on a second one (Bolt's own eager call is off: building must not need Slack)."""
    for middleware in app._middleware_list:  # Bolt offers no public setter for this
        if isinstance(middleware, SingleTeamAuthorization):
            middleware.auth_test_result = identity


def events_endpoint(app: App, bot: Bot, signing_secret: str, writer: InboxWriter, *,
                    hand_off: bool = False, answer: Answer = lambda body: None
                    ) -> Callable[[Request], Awaitable[Response]]:
    """POST /slack/events: signature checks (401), commands, interactivity, Events API.

    Every signed request gets a 2xx or a 4xx that says why; never a 5xx for its shape. A 2xx
    means the delivery is in the inbox: channel messages are then acked without Bolt (the
    inbox worker captures them); the rest run through Bolt, and their row is settled when
    the work they caused ends. With `hand_off` (a web process), what is acked empty is left
    in the inbox for a worker process to run, so this process's interpreter lock stays with
    the acks. A form submission that `answer` can answer from the form alone is answered
    so, without waiting for Bolt (bot.modals.answerer), and Bolt runs after the answer."""
    limiter: list[anyio.CapacityLimiter] = []
    verifier = SignatureVerifier(signing_secret)
    dispatcher = TrackedExecutor(DISPATCH_THREADS, "vigilo-dispatch")
    dispatcher.give_way = bot.give_way
    bot.on_idle_check(dispatcher.wait_idle)

    async def slack_events(request: Request) -> Response:
        if not limiter:  # made on the event loop, at the first request
            limiter.append(anyio.CapacityLimiter(DISPATCH_THREADS))
        try:
            raw = await _read(request)
        except BadRequest as error:
            return _refuse(error)
        # Bolt checks the signature too, but only after parsing the body: a forged body
        # that is not even JSON (or UTF-8) must be a 401, not a parser's 500.
        headers = dict(request.headers)
        if raw is None or not verifier.is_valid_request(raw, headers):
            return JSONResponse({"error": "invalid request"}, status_code=401)
        try:
            body = slack_request.parse(raw, headers.get("content-type"))
        except BadRequest as error:
            return _refuse(error)
        row = incoming(raw, body, headers.get("content-type", ""))
        early = answer(body) if row is not None and row.kind != MESSAGE else None
        answered = Response(status_code=200) if early is None else JSONResponse(early)
        after_answer = acked_empty(body) or early is not None
        if hand_off and row is not None and after_answer:
            row = replace(row, live=False)
        bolt_request: SlackRequest | None = None
        if row is None or (row.kind != MESSAGE and row.live):  # messages never need Bolt
            try:
                bolt_request = SlackRequest(raw, body, headers, query=str(request.query_params))
            except Exception:  # Bolt's context builders on a shape check_shape let through
                log.warning("a signed Slack request Bolt cannot read", exc_info=True)
                return JSONResponse({"error": "malformed request"}, status_code=400)
        if row is None and bolt_request is not None:  # handshakes, suggestions: nothing to keep
            return to_starlette_response(await anyio.to_thread.run_sync(
                app.dispatch, bolt_request, limiter=limiter[0]))
        assert row is not None
        try:
            inbox_id = await writer.store(row)
        except Exception:  # not stored, so not acked: Slack retries events, people retry
            return JSONResponse({"error": "Vigilo's database is unavailable; nothing was "
                                          "stored, try again"}, status_code=503)
        if bolt_request is None or inbox_id is None:  # the worker's, or stored already
            return answered
        ticket = Ticket(lambda: writer.settle(inbox_id))
        if after_answer:
            # Our listeners answer commands and clicks with an empty ack, always, and forms
            # as `answer` did: stored is enough to answer, and Bolt runs after the answer,
            # off the request's path (measured: bench/bench_slack_forms.py).
            dispatcher.submit(ticket.run, app.dispatch, bolt_request)
            return answered
        response = await anyio.to_thread.run_sync(ticket.run, app.dispatch, bolt_request,
                                                  limiter=limiter[0])
        return to_starlette_response(response)

    return slack_events


def acked_empty(body: dict[str, Any]) -> bool:
    """Slash commands and button clicks: every listener of ours acks them with nothing."""
    return (body.get("type") == "block_actions"
            or ("command" in body and "type" not in body))


def replayer(app: App, writer: InboxWriter) -> Callable[[Delivery], None]:
    """Runs a stored delivery through Bolt again, as if it had just arrived (its ack goes
    nowhere; replies go to its response_url), and settles it when its work ends."""

    def replay(delivery: Delivery) -> None:
        body = slack_request.parse(delivery.body, delivery.content_type)
        request = SlackRequest(delivery.body, body, {"content-type": delivery.content_type},
                               replay=True)
        Ticket(lambda: writer.settle(delivery.id)).run(app.dispatch, request)

    return replay


async def _read(request: Request) -> str | None:
    """The body as text (None: not UTF-8); 413 past MAX_BODY, before reading it all."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > slack_request.MAX_BODY:
        raise BadRequest(413, f"the body is over {slack_request.MAX_BODY} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > slack_request.MAX_BODY:
            raise BadRequest(413, f"the body is over {slack_request.MAX_BODY} bytes")
        chunks.append(chunk)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _refuse(error: BadRequest) -> Response:
    return JSONResponse({"error": error.reason}, status_code=error.status)
