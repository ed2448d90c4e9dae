"""Slack's settings, typed and frozen; the composition root fills them from the environment."""

from dataclasses import dataclass

from integrations.slack.client import SLACK_API_URL


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None  # xapp- token: Socket Mode, no signing secret needed
    api_url: str = SLACK_API_URL
    base_url: str = "http://localhost:8000"
    workspace: str | None = None  # VIGILO_WORKSPACE: the slug token mode serves

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @property
    def why_off(self) -> str | None:
        if not self.bot_token:
            return "not configured (SLACK_BOT_TOKEN unset)"
        if not (self.signing_secret or self.app_token):
            return "not configured (set SLACK_SIGNING_SECRET, or SLACK_APP_TOKEN for Socket Mode)"
        return None

    @property
    def enabled(self) -> bool:
        return self.why_off is None
