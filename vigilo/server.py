"""`vigilo serve`: the one ASGI app under uvicorn, after one line saying what is on.

With `--role web` a process stores and acks what arrives (and serves pages and API), and
`--role worker` processes carry the work out, woken over LISTEN/NOTIFY (store.wake): the
acks then never share an interpreter lock with the work they caused.

With `--workers N` (PostgreSQL only) uvicorn runs N processes on one listening socket, each
a whole Vigilo: one Python process holds one interpreter lock, so on a machine with several
cores a burst is acked, recorded and delivered by all of them. Nothing needs to be shared
between them beyond the database: the inbox and the outbox are taken with SKIP LOCKED
leases, and the scheduler runs on the one holding the advisory lock, as with replicas.
"""

import gc
import logging
import os

import uvicorn
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp

from store.db import is_sqlite
from vigilo.app import Vigilo, build
from vigilo.settings import MAX_WORKERS, Settings

log = logging.getLogger("vigilo")

WORKER_NICENESS = 10  # a worker process's: on a machine it shares, the acks come first


def serve(settings: Settings, *, host: str = "0.0.0.0", port: int = 8000,
          workers: int = 1) -> None:
    check_serving(settings, workers)
    if settings.role == "worker":
        os.nice(WORKER_NICENESS)
    vigilo = build(settings)  # pure: what it would serve, for the line below
    assert vigilo.asgi is not None
    log.info("%s", summary(vigilo, workers), extra={"config": describe(vigilo, workers)})
    # log_config=None: uvicorn keeps the handlers vigilo.logs configured (one format).
    options = {"host": host, "port": port, "log_config": None, "proxy_headers": True,
               "log_level": (settings.log_level or "INFO").lower()}
    if workers == 1:
        settle_heap()
        uvicorn.run(vigilo.asgi, **options)  # type: ignore[arg-type]
        return
    # Each worker is a fresh process that builds its own Vigilo from the environment; what
    # the command line changed is handed down the same way.
    os.environ.update(LOG_LEVEL=settings.log_level or "INFO", LOG_FORMAT=settings.log_format,
                      VIGILO_ROLE=settings.role)
    uvicorn.run("vigilo.server:worker_app", factory=True, workers=workers,
                **options)  # type: ignore[arg-type]


def check_serving(settings: Settings, workers: int) -> None:
    """Refuse, with the reason, what cannot work: processes SQLite cannot share, a web
    process whose deliveries no worker would be woken for, Socket Mode split in two."""
    if not 0 < workers <= MAX_WORKERS:
        raise ValueError(f"--workers must be a number from 1 to {MAX_WORKERS}, not {workers}")
    sqlite = is_sqlite(settings.database_url)
    if workers > 1 and sqlite:
        raise ValueError("--workers above 1 needs PostgreSQL (DATABASE_URL): SQLite takes "
                         "one writing process at a time")
    if settings.role != "all" and sqlite:
        raise ValueError(f"--role {settings.role} needs PostgreSQL (DATABASE_URL): web and "
                         "worker processes share the work through it")
    if settings.role == "web" and settings.slack_app_token:
        raise ValueError("--role web takes Slack over HTTP; with Socket Mode "
                         "(SLACK_APP_TOKEN) run --role all or worker")


def worker_app() -> ASGIApp:
    """One `--workers` process's app (uvicorn calls this in each worker it starts)."""
    from vigilo import logs

    settings = Settings.from_env()
    logs.configure(settings.log_level or "INFO", settings.log_format)
    vigilo = build(settings)
    assert vigilo.asgi is not None
    settle_heap()
    return vigilo.asgi


def settle_heap() -> None:
    """Everything built at start-up lives as long as the process: moved out of the garbage
    collector's sight, so that a full collection scans only what requests made since. One
    scanning all of it (the imported libraries' objects) stopped every answer for 150-250 ms
    at a time under load (bench_slack_ack: ack p99 183-236 ms before, 32-56 ms after)."""
    gc.collect()
    gc.freeze()


def describe(vigilo: Vigilo, workers: int = 1) -> dict[str, str]:
    """What this process serves, and for each integration that is off, why."""
    settings = vigilo.settings
    out = {
        "database": make_url(settings.database_url).render_as_string(hide_password=True),
        "base_url": settings.base_url,
    }
    if workers > 1:
        out["workers"] = f"{workers} processes"
    if settings.role != "all":
        out["role"] = settings.role + (" (stores and acks; worker processes carry it out)"
                                       if settings.role == "web" else
                                       " (carries out what web processes stored)")
    for integration in vigilo.registry.integrations:
        if not integration.settings.enabled:
            out[integration.name] = f"off — {integration.settings.why_off}"
        elif integration.name == "slack":
            mode = ("Socket Mode" if settings.slack_app_token else "HTTP at /slack/events")
            out["slack"] = f"on ({mode}, {settings.slack_api_url})"
        else:
            out[integration.name] = "on"
    out["logs"] = f"{settings.log_level or 'INFO'} {settings.log_format}"
    return out


def summary(vigilo: Vigilo, workers: int = 1) -> str:
    return "Vigilo starting: " + "; ".join(f"{k} {v}"
                                           for k, v in describe(vigilo, workers).items())
