"""Slack wiring: the Bolt app over the Slack integration's client, and /slack/events.

Building calls no Slack API (Bolt's own eager `auth.test` is off): with Slack unreachable at
deploy time the server still answers `/healthz`. The Slack integration's `start()` (run by
the lifespan, retried until Slack answers) links the team to its workspace, then this module's
hooks teach the bot that link and, with SLACK_APP_TOKEN set, open the Socket Mode connection
instead of serving a route.
"""

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute, Route

from bot import modals
from bot.app import build_app, events_endpoint, prime_authorization, replayer
from bot.inbox_worker import InboxWorker
from bot.people import People
from bot.runtime import Bot
from bot.socket_mode import StoringSocketModeHandler
from core.effects import AFTER_COMMANDS
from integrations.holds import Hold
from integrations.slack import Slack
from services.inbox_writer import InboxWriter
from store.inbox_models import SLACK
from vigilo.integrations import states

if TYPE_CHECKING:
    from vigilo.app import Vigilo

log = logging.getLogger(__name__)


@dataclass
class SlackWiring:
    """What the Slack side of the app is made of, for the CLI, tests and benchmarks."""

    integration: Slack
    bot: Bot
    bolt: Any  # slack_bolt.App
    inbox_writer: InboxWriter
    inbox: InboxWorker
    socket_mode: Any | None = None  # SocketModeHandler when SLACK_APP_TOKEN is set


def wire(vigilo: "Vigilo") -> list[BaseRoute]:
    """Build the Bolt app on the registry's Slack integration; return Slack's routes."""
    slack = vigilo.registry.get("slack")
    if not isinstance(slack, Slack) or not slack.settings.enabled:
        why = slack.settings.why_off if slack is not None else "not in the integrations list"
        log.warning("Slack is off: %s. /slack/events is not served (404) and no Slack effect "
                    "is delivered; set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or "
                    "SLACK_APP_TOKEN for Socket Mode)", why)
        return []
    settings = slack.settings
    bot = Bot(vigilo.db, slack.bot_client, settings.base_url, notify=vigilo.worker.notify,
              integrations=lambda: states(vigilo.registry),
              give_way=vigilo.foreground.give_way)
    ai = vigilo.registry.get("ai")
    bot.ai_off = ai.settings.why_off if ai is not None else "no AI integration"
    # Channel setups wait while commands are carried out (integrations.holds).
    hold = Hold(AFTER_COMMANDS, busy=lambda: bot.jobs.pending > 0, wake=vigilo.worker.notify)
    vigilo.worker.hold = hold
    bot.jobs.on_idle = hold.idle
    slack.on_start(bot.remember)
    people = People(vigilo.db, slack.bot_client)
    writer = vigilo.inbox_writer
    app = build_app(bot, people,
                    signing_secret=None if settings.socket_mode else settings.signing_secret)
    web = vigilo.settings.role == "web"  # stores and acks; worker processes take the rest
    inbox = InboxWorker(bot, people, replayer(app, writer), lease=vigilo.settings.inbox_lease,
                        hand_off=vigilo.settings.role == "worker")
    if not web:
        writer.on_written(SLACK, inbox.notify)
    bot.on_idle_check(writer.wait_idle)
    bot.on_idle_check(inbox.wait_idle)
    wiring = SlackWiring(slack, bot, app, writer, inbox)

    def prime(_team: str, _workspace: object) -> None:
        if slack.identity is not None:
            prime_authorization(app, slack.identity)

    slack.on_start(prime)
    vigilo.slack = wiring
    # A restart first finishes what the inbox holds: deliveries acked before a crash.
    if not web:
        slack.on_start(lambda _team, _workspace: inbox.start())
    # Finish what was acked already (replies, modal outcomes), then settle their rows.
    vigilo.on_shutdown += [bot.shutdown, inbox.stop]
    if settings.socket_mode:
        handler = StoringSocketModeHandler(app, settings.app_token, writer)
        wiring.socket_mode = handler
        slack.on_start(lambda _team, _workspace: handler.connect())
        slack.on_stop(handler.close)
        return []
    endpoint = events_endpoint(app, bot, settings.signing_secret or "", writer, hand_off=web,
                               answer=modals.answerer(bot, people))
    return [Route("/slack/events", endpoint, methods=["POST"])]

