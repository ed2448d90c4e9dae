"""Slack as one integration object: its clients, its outbox handlers, and its start-up.

Building makes clients (no network I/O). `start()` asks Slack who we are (`auth.test`) and
finds or makes the workspace token mode serves; then the hooks the composition root added
run (Socket Mode connects there). The registry retries `start()` until Slack answers.
"""

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from core import effects as fx
from integrations.outbox import Handler
from integrations.slack import effects as slack_effects
from integrations.slack.client import build_client
from integrations.slack.errors import error_code, explain
from integrations.slack.settings import SlackSettings
from services import slack_team
from services.slack_team import WorkspaceRef
from store.db import Database

log = logging.getLogger(__name__)

KINDS = frozenset({fx.SLACK_CREATE_CHANNEL, fx.SLACK_SETUP_CHANNEL, fx.SLACK_ANNOUNCE,
                   fx.SLACK_INVITE, fx.SLACK_ARCHIVE, fx.SLACK_NUDGE, fx.SLACK_REMIND_OWNER,
                   fx.SLACK_BROADCAST, fx.SLACK_ARCHIVE_LATER, fx.SLACK_REFRESH_REPORT})


class SlackUnreachable(RuntimeError):
    pass


class Slack:
    name = "slack"
    kinds = KINDS

    def __init__(self, settings: SlackSettings, db: Database) -> None:
        self.settings = settings
        self.db = db
        token = settings.bot_token or "xoxb-unset"
        # The outbox's client turns a 429 into a reschedule; the bot's waits once, since its
        # callers (a person after ack) are better served late than with an error.
        self.effects_client: WebClient = build_client(token, settings.api_url)
        self.bot_client: WebClient = build_client(token, settings.api_url)
        self.bot_client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
        self.identity: SlackResponse | None = None  # auth.test's answer, once started
        self.team_id: str | None = None
        self.workspace: WorkspaceRef | None = None
        self._on_start: list[Callable[[str, WorkspaceRef], object]] = []
        self._on_stop: list[Callable[[], object]] = []

    def handlers(self) -> dict[str, Handler]:
        if not self.settings.enabled:
            return {}
        return slack_effects.handlers(self.db, self.effects_client, self.settings.base_url)

    def on_start(self, hook: Callable[[str, WorkspaceRef], object]) -> None:
        """Run `hook(team_id, workspace)` once Slack has answered, in the order added."""
        self._on_start.append(hook)

    def on_stop(self, hook: Callable[[], object]) -> None:
        self._on_stop.append(hook)

    def start(self) -> None:
        try:
            identity = self.bot_client.auth_test()
        except SlackApiError as error:
            status = int(getattr(error.response, "status_code", 200) or 200)
            if status >= 500 or status == 429:
                raise SlackUnreachable(f"unavailable at {self.settings.api_url}: HTTP "
                                       f"{status} to auth.test") from None
            raise SlackUnreachable(explain(error_code(error), "auth.test", "",
                                           error.response)) from None
        except OSError as error:  # URLError, refused, timed out, DNS
            reason = getattr(error, "reason", None) or error
            raise SlackUnreachable(f"unreachable at {self.settings.api_url}: {reason}") from None
        team_id = str(identity["team_id"])
        host = urlsplit(str(identity.get("url") or "")).hostname or ""  # acme.slack.com
        workspace = slack_team.bootstrap(self.db, team_id, str(identity.get("team") or ""),
                                         domain=host.split(".")[0] or None,
                                         slug=self.settings.workspace)
        log.info("Slack team %s serves workspace '%s'", team_id, workspace.slug)
        self.identity, self.team_id, self.workspace = identity, team_id, workspace
        for hook in self._on_start:
            hook(team_id, workspace)

    def stop(self) -> None:
        for hook in self._on_stop:
            try:
                hook()
            except Exception:
                log.exception("a Slack stop hook failed")


def build(settings: SlackSettings, db: Database) -> Slack:
    return Slack(settings, db)
