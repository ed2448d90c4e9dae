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
MAX_WORKERS = 64  # processes one `vigilo serve` may run (WEB_CONCURRENCY, --workers)


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
    # Delivery threads per integration; 1 = one thread, oldest first. A new incident's channel
    # is five Slack calls in a row on one thread: in a burst of 100 declarations, 16 threads
    # were the queue to the channels (bench/bench_declare_to_channel.py).
    outbox_threads: int = 32
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

        port = _whole(get("PORT") or "8000", "PORT", "a number", 1, 65535)
        log_level = (get("LOG_LEVEL") or "").upper() or None
        if log_level is not None and log_level not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, "
                             f"not '{log_level}'")
        log_format = (get("LOG_FORMAT") or "text").lower()
        if log_format not in LOG_FORMATS:
            raise ValueError(f"LOG_FORMAT must be text or json, not '{log_format}'")
        threads = _whole(get("VIGILO_OUTBOX_THREADS") or "32", "VIGILO_OUTBOX_THREADS",
                         "a number", 1, 256)
        workers = _whole(get("WEB_CONCURRENCY") or "1", "WEB_CONCURRENCY",
                         "a number of processes", 1, MAX_WORKERS)
        role = (get("VIGILO_ROLE") or "all").lower()
        if role not in ROLES:
            raise ValueError(f"VIGILO_ROLE must be one of {', '.join(ROLES)}, not '{role}'")
        retention = _whole(get("VIGILO_RETENTION_DAYS") or "30", "VIGILO_RETENTION_DAYS",
                           "a number of days", 1, 3650)
        api_url = get("SLACK_API_URL") or "https://slack.com/api/"
        return cls(
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_app_token=get("SLACK_APP_TOKEN"),
            slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
            base_url=(get("VIGILO_BASE_URL") or "http://localhost:8000").rstrip("/"),
            workspace=get("VIGILO_WORKSPACE"),
            port=port,
            workers=workers,
            role=role,
            outbox_threads=threads,
            retention_days=retention,
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


def _whole(text: str, name: str, what: str, low: int, high: int) -> int:
    if not is_digits(text) or not low <= int(text) <= high:
        raise ValueError(f"{name} must be {what} from {low} to {high}, not '{text}'")
    return int(text)


def _seconds(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 1 <= value <= 3600:
        raise ValueError(f"{name} must be a number of seconds from 1 to 3600, not '{text}'")
    return value
