"""`vigilo serve`: the one ASGI app under uvicorn, after one line saying what is on."""

import logging

import uvicorn
from sqlalchemy.engine import make_url

from vigilo.app import Vigilo, build
from vigilo.settings import Settings

log = logging.getLogger("vigilo")


def serve(settings: Settings, *, host: str = "0.0.0.0", port: int = 8000) -> None:
    vigilo = build(settings)
    assert vigilo.asgi is not None
    log.info("%s", summary(vigilo), extra={"config": describe(vigilo)})
    # log_config=None: uvicorn keeps the handlers vigilo.logs configured (one format).
    uvicorn.run(vigilo.asgi, host=host, port=port, log_config=None,
                log_level=(settings.log_level or "INFO").lower(), proxy_headers=True)


def describe(vigilo: Vigilo) -> dict[str, str]:
    """What this process serves, and for what is off, why (the variable to set)."""
    settings = vigilo.settings
    slack = settings.slack_why_off
    if slack is None:
        mode = "Socket Mode" if settings.socket_mode else "HTTP at /slack/events"
        workspace = getattr(vigilo.parts.get("slack_workspace"), "slug", "?")
        slack_text = f"on ({mode}, {settings.slack_api_url}, workspace '{workspace}')"
    else:
        slack_text = f"off ({slack}: /slack/events answers 404)"
    return {
        "database": make_url(settings.database_url).render_as_string(hide_password=True),
        "base_url": settings.base_url,
        "slack": slack_text,
        "outbox": f"{len(vigilo.handlers)} effect kinds delivered, others settled as "
                  "skipped with the reason",
        "logs": f"{settings.log_level or 'INFO'} {settings.log_format}",
    }


def summary(vigilo: Vigilo) -> str:
    return "Vigilo starting: " + "; ".join(f"{k} {v}" for k, v in describe(vigilo).items())
