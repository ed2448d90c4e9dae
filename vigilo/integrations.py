"""The one list of integrations, built from the settings; the registry checks it.

An integration that is not built yet still owns its effect kinds here, as `Disabled` with the
reason, so its effects settle as skipped (with that reason in the log) instead of failing
start-up.
"""

from integrations import ai, pagerduty, slack, statuspage, twilio
from integrations.registry import Integration, Registry
from store.db import Database
from vigilo.settings import Settings


def slack_settings(settings: Settings) -> slack.SlackSettings:
    return slack.SlackSettings(bot_token=settings.slack_bot_token,
                               signing_secret=settings.slack_signing_secret,
                               app_token=settings.slack_app_token,
                               api_url=settings.slack_api_url, base_url=settings.base_url,
                               workspace=settings.workspace)


def pagerduty_settings(settings: Settings) -> pagerduty.PagerDutySettings:
    return pagerduty.PagerDutySettings.from_env(settings.pagerduty)


def twilio_settings(settings: Settings) -> twilio.TwilioSettings:
    return twilio.TwilioSettings.from_env(settings.twilio, settings.base_url)


def ai_settings(settings: Settings) -> ai.AiSettings:
    env = settings.ai
    timeout = env.get("VIGILO_AI_TIMEOUT", "")
    try:
        seconds = float(timeout) if timeout else ai.settings.DEFAULT_TIMEOUT
    except ValueError:
        raise ValueError(f"VIGILO_AI_TIMEOUT must be a number of seconds, not '{timeout}'"
                         ) from None
    return ai.AiSettings(base_url=env.get("VIGILO_AI_BASE_URL"),
                         api_key=env.get("VIGILO_AI_API_KEY"),
                         model=env.get("VIGILO_AI_MODEL"), timeout=seconds)


def integrations(settings: Settings, db: Database) -> list[Integration]:
    return [
        slack.build(slack_settings(settings), db),
        pagerduty.build(pagerduty_settings(settings), db, settings.base_url),
        twilio.build(twilio_settings(settings), db),
        statuspage.build(statuspage.StatusPageSettings(), db),
        ai.build(ai_settings(settings), db),
    ]


def registry(settings: Settings, db: Database) -> Registry:
    return Registry(integrations(settings, db))


def states(registry: Registry) -> list[tuple[str, str | None]]:
    """Each integration of the registry, and why it is off (None when it is on)."""
    return [(i.name, i.settings.why_off) for i in registry.integrations]
