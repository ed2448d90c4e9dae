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
    """What this process serves, and for each integration that is off, why."""
    settings = vigilo.settings
    out = {
        "database": make_url(settings.database_url).render_as_string(hide_password=True),
        "base_url": settings.base_url,
    }
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


def summary(vigilo: Vigilo) -> str:
    return "Vigilo starting: " + "; ".join(f"{k} {v}" for k, v in describe(vigilo).items())
