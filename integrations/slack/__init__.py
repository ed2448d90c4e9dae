"""Slack: the Web API client, its error mapping, the outbox's delivery handlers, how an
incident reads in a channel (blocks), and the integration object (`build`)."""

from integrations.slack.integration import Slack, build
from integrations.slack.settings import SlackSettings

__all__ = ["Slack", "SlackSettings", "build"]
