"""The one list of integrations, built from the settings; the registry checks it.

An integration that is not built yet still owns its effect kinds here, as `Disabled` with the
reason, so its effects settle as skipped (with that reason in the log) instead of failing
start-up.
"""

from core import effects as fx
from integrations import ai, slack
from integrations.registry import Disabled, Integration, Registry
from store.db import Database
from vigilo.settings import Settings


def slack_settings(settings: Settings) -> slack.SlackSettings:
    return slack.SlackSettings(bot_token=settings.slack_bot_token,
                               signing_secret=settings.slack_signing_secret,
                               app_token=settings.slack_app_token,
                               api_url=settings.slack_api_url, base_url=settings.base_url,
                               workspace=settings.workspace)


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
        ai.build(ai_settings(settings), db),
        Disabled("pagerduty", {fx.PAGERDUTY_TRIGGER, fx.PAGERDUTY_RESOLVE},
                 _unbuilt(settings.pagerduty, "PAGERDUTY_API_KEY", "PagerDuty")),
        Disabled("twilio", {fx.TWILIO_PAGE},
                 _unbuilt(settings.twilio, "TWILIO_ACCOUNT_SID", "Twilio")),
        Disabled("statuspage", {fx.STATUSPAGE_PUBLISH, fx.STATUSPAGE_RESOLVE},
                 "not configured (the status page integration is not built yet)"),
    ]


def registry(settings: Settings, db: Database) -> Registry:
    return Registry(integrations(settings, db))


def _unbuilt(env: dict[str, str], key: str, what: str) -> str:
    if key not in env:
        return f"not configured ({key} unset)"
    return f"{what} delivery is not part of this version of Vigilo yet"
