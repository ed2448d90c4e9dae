"""12-factor configuration: environment variables, optionally from a .env file."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from core.numbers import is_digits

DEFAULT_DATABASE_URL = "sqlite:///./vigilo.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
# all: one process does everything; web: stores and acks what arrives and serves pages and
# API, leaving the work to worker processes, which carry it out (deliveries, outbox, jobs).
ROLES = ("all", "web", "worker")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    base_url: str = "http://localhost:8000"
    workspace: str | None = None
    port: int = 8000
    workers: int = 1  # `vigilo serve` processes on one port (PostgreSQL only)
    role: str = "all"  # all | web (store and ack) | worker (carry out), PostgreSQL only
    outbox_threads: int = 16  # delivery threads per integration; 1 = one thread, oldest first
    pagerduty: dict[str, str] = field(default_factory=dict)
    twilio: dict[str, str] = field(default_factory=dict)
    ai: dict[str, str] = field(default_factory=dict)  # VIGILO_AI_BASE_URL, _API_KEY, _MODEL
    log_level: str | None = None  # unset: INFO for `vigilo serve`, WARNING for other commands
    log_format: str = "text"
    # Seconds a replica holds a Slack delivery it is working on; after, another takes it.
    inbox_lease: float = 60.0
    # Days the outbox keeps settled effects, the log its entries, the inbox what it took.
    retention_days: int = 30
    # Seconds an outbox delivery is claimed for; a worker killed mid-delivery leaves its
    # effects to be claimed again (by a restart or another replica) after this.
    outbox_lease: float = 120.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *,
                 dotenv: bool = True) -> "Settings":
        if env is None:
            if dotenv:
                from dotenv import load_dotenv

                load_dotenv(override=False)
            env = os.environ

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        port_text = get("PORT") or "8000"
        if not is_digits(port_text) or not 0 < int(port_text) < 65536:
            raise ValueError(f"PORT must be a number from 1 to 65535, not '{port_text}'")
        log_level = (get("LOG_LEVEL") or "").upper() or None
        if log_level is not None and log_level not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, "
                             f"not '{log_level}'")
        log_format = (get("LOG_FORMAT") or "text").lower()
        if log_format not in LOG_FORMATS:
            raise ValueError(f"LOG_FORMAT must be text or json, not '{log_format}'")
        threads_text = get("VIGILO_OUTBOX_THREADS") or "16"
        if not is_digits(threads_text) or not 0 < int(threads_text) <= 256:
            raise ValueError("VIGILO_OUTBOX_THREADS must be a number from 1 to 256, "
                             f"not '{threads_text}'")
        workers_text = get("WEB_CONCURRENCY") or "1"
        if not is_digits(workers_text) or not 0 < int(workers_text) <= 64:
            raise ValueError("WEB_CONCURRENCY must be a number of processes from 1 to 64, "
                             f"not '{workers_text}'")
        role = (get("VIGILO_ROLE") or "all").lower()
        if role not in ROLES:
            raise ValueError(f"VIGILO_ROLE must be one of {', '.join(ROLES)}, not '{role}'")
        retention_text = get("VIGILO_RETENTION_DAYS") or "30"
        if not is_digits(retention_text) or not 0 < int(retention_text) <= 3650:
            raise ValueError("VIGILO_RETENTION_DAYS must be a number of days from 1 to 3650, "
                             f"not '{retention_text}'")
        api_url = get("SLACK_API_URL") or "https://slack.com/api/"
        return cls(
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_app_token=get("SLACK_APP_TOKEN"),
            slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
            base_url=(get("VIGILO_BASE_URL") or "http://localhost:8000").rstrip("/"),
            workspace=get("VIGILO_WORKSPACE"),
            port=int(port_text),
            workers=int(workers_text),
            role=role,
            outbox_threads=int(threads_text),
            retention_days=int(retention_text),
            inbox_lease=_seconds(get("VIGILO_INBOX_LEASE") or "60", "VIGILO_INBOX_LEASE"),
            outbox_lease=_seconds(get("VIGILO_OUTBOX_LEASE") or "120", "VIGILO_OUTBOX_LEASE"),
            pagerduty={k: v for k in ("PAGERDUTY_API_KEY", "PAGERDUTY_FROM_EMAIL",
                                      "PAGERDUTY_SERVICE_ID", "PAGERDUTY_WEBHOOK_SECRET",
                                      "PAGERDUTY_API_URL") if (v := get(k) or "")},
            twilio={k: v for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                                   "TWILIO_FROM_NUMBER", "TWILIO_API_URL")
                    if (v := get(k) or "")},
            ai={k: v for k in ("VIGILO_AI_BASE_URL", "VIGILO_AI_API_KEY", "VIGILO_AI_MODEL",
                               "VIGILO_AI_TIMEOUT") if (v := get(k) or "")},
            log_level=log_level,
            log_format=log_format,
        )


def _seconds(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 1 <= value <= 3600:
        raise ValueError(f"{name} must be a number of seconds from 1 to 3600, not '{text}'")
    return value
