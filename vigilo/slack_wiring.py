"""Slack wiring: WebClient, workspace bootstrap, Bolt app, effect handlers, /slack/events.

Token mode serves one workspace, made (or found) at start-up from `auth.test`. With
SLACK_APP_TOKEN set, Bolt talks Socket Mode instead of serving a route; the connection is
opened and closed by the `on_startup`/`on_shutdown` hooks left in `vigilo.parts`.
"""

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from starlette.routing import BaseRoute, Route

from bot.app import build_app, events_endpoint, replayer
from bot.inbox import InboxWriter
from bot.inbox_worker import InboxWorker
from bot.people import People
from bot.runtime import Bot
from integrations.slack import effects as slack_effects
from integrations.slack.client import build_client
from services import slack_team

if TYPE_CHECKING:
    from vigilo.app import Vigilo

log = logging.getLogger(__name__)


def wire(vigilo: "Vigilo") -> list[BaseRoute]:
    """Register Slack effect handlers on `vigilo.handlers` and return Slack's routes."""
    settings = vigilo.settings
    if not settings.slack_enabled or not settings.slack_bot_token:
        return []
    token, api = settings.slack_bot_token, settings.slack_api_url
    # The outbox's client turns a 429 into a reschedule; the bot's waits once, since its
    # callers (a person after ack) are better served late than with an error.
    effects_client = build_client(token, api)
    bot_client = build_client(token, api)
    bot_client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    identity = bot_client.auth_test()
    team_id = str(identity["team_id"])
    host = urlsplit(str(identity.get("url") or "")).hostname or ""  # acme.slack.com
    workspace = slack_team.bootstrap(vigilo.db, team_id, str(identity.get("team") or ""),
                                     domain=host.split(".")[0] or None, slug=settings.workspace)
    log.info("Slack team %s serves workspace '%s'", team_id, workspace.slug)
    vigilo.handlers.update(slack_effects.handlers(vigilo.db, effects_client, settings.base_url))

    bot = Bot(vigilo.db, bot_client, settings.base_url, notify=vigilo.worker.notify)
    bot.remember(team_id, workspace)
    people = People(vigilo.db, bot_client)
    writer = InboxWriter(vigilo.db, lease=settings.inbox_lease)
    app = build_app(bot, people, writer,
                    signing_secret=None if settings.socket_mode else settings.slack_signing_secret)
    inbox = InboxWorker(bot, people, replayer(app, writer), lease=settings.inbox_lease)
    writer.on_written(inbox.notify)
    bot.on_idle_check(writer.wait_idle)
    bot.on_idle_check(inbox.wait_idle)
    vigilo.parts.update(slack_client=effects_client, bot=bot, bolt=app, inbox_writer=writer,
                        inbox=inbox, slack_workspace=workspace)
    # A restart first finishes what the inbox holds: deliveries acked before a crash.
    _on(vigilo, "on_startup", inbox.start)
    routes: list[BaseRoute] = [Route("/slack/events",
                                     events_endpoint(app, bot,
                                                     settings.slack_signing_secret or "",
                                                     writer),
                                     methods=["POST"])]
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(app, settings.slack_app_token)
        vigilo.parts["socket_mode"] = handler
        _on(vigilo, "on_startup", handler.connect)
        _on(vigilo, "on_shutdown", handler.close)
        routes = []
    # Finish what was acked already: replies, modal outcomes, then settle their rows.
    _on(vigilo, "on_shutdown", bot.shutdown)
    _on(vigilo, "on_shutdown", writer.stop)
    _on(vigilo, "on_shutdown", inbox.stop)
    return routes


def _on(vigilo: "Vigilo", hook: str, fn: Callable[[], object]) -> None:
    vigilo.parts.setdefault(hook, []).append(fn)
