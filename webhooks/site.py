"""Routes of the web side app: incident pages, share links, sign-in, JSON API.

Every route here carries the security headers (CSP without inline script or style,
`Referrer-Policy: no-referrer`, ...) through `SecurityHeaders`, applied per route so the
rest of the app is untouched; applying it around the whole app as well is harmless.
"""

from functools import partial
from pathlib import Path

from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from store.db import Database
from webhooks import api, insight_api, insight_pages, pages, postmortem_md, signin
from webhooks.render import Site, StormSource, environment
from webhooks.security import SecurityHeaders

STATIC = Path(__file__).parent / "static"


def routes(db: Database, base_url: str, *, storms: StormSource | None = None
           ) -> list[BaseRoute]:
    """`storms(workspace_id)` fills the storm banner slot of the list page."""
    site = Site(db=db, base_url=base_url.rstrip("/"), env=environment(),
                storms=storms or insight_pages.storm_banners(db))
    secure = [Middleware(SecurityHeaders)]
    listing = partial(pages.incident_list, site)
    create = partial(api.create_incident, site)
    return [
        Route("/ws/{slug}/incidents", listing, methods=["GET"], middleware=secure),
        Route("/ws/{slug}/incidents/", listing, methods=["GET"], middleware=secure),
        # Integrations POST to `/incidents/` (the documented URL) or without the slash.
        Route("/ws/{slug}/incidents/", create, methods=["POST"], middleware=secure,
              max_body_size=api.MAX_BODY),
        Route("/ws/{slug}/incidents", create, methods=["POST"], middleware=secure,
              max_body_size=api.MAX_BODY),
        Route("/ws/{slug}/incidents/{key}", partial(pages.incident_detail, site),
              methods=["GET"], middleware=secure),
        Route("/ws/{slug}/incidents/{key}/postmortem.md",
              partial(postmortem_md.postmortem_markdown, site), methods=["GET"],
              middleware=secure),
        *insight_routes(site, secure),
        Route("/auth/login", partial(signin.login_page, site), methods=["GET"],
              middleware=secure),
        Route("/auth/login", partial(signin.login, site), methods=["POST"], middleware=secure,
              max_body_size=8 * 1024),
        Route("/auth/logout", partial(signin.logout, site), methods=["POST"],
              middleware=secure, max_body_size=8 * 1024),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static",
              middleware=secure),
    ]


def insight_routes(site: Site, secure: list[Middleware]) -> list[BaseRoute]:
    """Changes, runbooks and storms; POSTs with or without the trailing slash."""
    change = partial(insight_api.create_change, site)
    runbook = partial(insight_api.create_runbook, site)
    return [
        *(Route(path, change, methods=["POST"], middleware=secure, max_body_size=api.MAX_BODY)
          for path in ("/ws/{slug}/changes/", "/ws/{slug}/changes")),
        *(Route(path, runbook, methods=["POST"], middleware=secure, max_body_size=api.MAX_BODY)
          for path in ("/ws/{slug}/runbooks/", "/ws/{slug}/runbooks")),
        Route("/ws/{slug}/changes/{key}", partial(insight_pages.change_page, site),
              methods=["GET"], middleware=secure),
        Route("/ws/{slug}/storms/{id}", partial(insight_pages.storm_page, site),
              methods=["GET"], middleware=secure),
    ]
