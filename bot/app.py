"""The Bolt app: every listener module registers itself, as in Bolt's starter template.

Every listener acks first and hands what is slow to `bot.jobs`, so it returns within a
millisecond or two. That is why `process_before_response` is on: Bolt then runs the
listener in the dispatching thread and answers when it returns, instead of running it on a
second thread that the dispatcher polls every 10 ms for the ack. Measured with 50 concurrent
users (bench/bench_slack_ack.py), that halves the median ack and cuts its p99 several-fold.
A listener must therefore never do slow work before returning; the one that must work before
ack (a modal's submission, for field errors) does one database transaction.

The ASGI endpoint runs Bolt's (blocking) dispatch on worker threads, never on the event loop.
"""

import re
from collections.abc import Awaitable, Callable

import anyio
from slack_bolt import App, BoltRequest
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
    events,
    home,
    insight_actions,
    modals,
    postmortem_actions,
    timeline_actions,
    timeline_capture,
)
from bot.capture import CaptureQueue
from bot.people import People
from bot.runtime import Bot

DISPATCH_THREADS = 32  # concurrent Bolt dispatches; each returns as soon as ack() is called


def build_app(bot: Bot, people: People, capture: CaptureQueue, *,
              signing_secret: str | None) -> App:
    """`signing_secret=None` is Socket Mode, where requests arrive over the websocket."""
    app = App(client=bot.client, signing_secret=signing_secret or "",
              request_verification_enabled=signing_secret is not None,
              # Bolt would call auth.test right here; building must not need Slack up.
              token_verification_enabled=False,
              process_before_response=True)
    # Bolt tries listeners in order, each matcher costing a little: channel messages, by
    # far the most frequent request, come first.
    events.register(app, bot, capture)
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


def events_endpoint(app: App, signing_secret: str) -> Callable[[Request],
                                                                  Awaitable[Response]]:
    """POST /slack/events: signature checks (401), commands, interactivity, Events API."""
    limiter: list[anyio.CapacityLimiter] = []
    verifier = SignatureVerifier(signing_secret)

    async def slack_events(request: Request) -> Response:
        if not limiter:  # made on the event loop, at the first request
            limiter.append(anyio.CapacityLimiter(DISPATCH_THREADS))
        # Bolt checks the signature too, but only after parsing the body: a forged body
        # that is not even JSON (or UTF-8) must be a 401, not a parser's 500.
        try:
            body = (await request.body()).decode("utf-8")
        except UnicodeDecodeError:
            return JSONResponse({"error": "invalid request"}, status_code=401)
        if not verifier.is_valid_request(body, dict(request.headers)):
            return JSONResponse({"error": "invalid request"}, status_code=401)
        try:
            bolt_request = BoltRequest(body=body, query=str(request.query_params),
                                       headers=dict(request.headers))
        except ValueError:  # signed by Slack, yet not what Slack sends
            return JSONResponse({"error": "malformed request"}, status_code=400)
        response = await anyio.to_thread.run_sync(app.dispatch, bolt_request,
                                                  limiter=limiter[0])
        return to_starlette_response(response)

    return slack_events
