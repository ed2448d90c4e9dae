"""A change's page with its Related incidents, and a storm's page with its members.

HTML for people signed in from Slack, JSON for `Accept: application/json` (tokens too);
another workspace's change or storm is the same 404 as a missing one.
"""

from functools import partial

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from core import metrics
from core.errors import DomainError, NotFound
from services import cause, change_requests, runbooks, stats, storm_views
from store.db import Database
from store.types import utcnow
from webhooks import auth
from webhooks.insight_api import change_json
from webhooks.render import (
    Site,
    StormBanner,
    StormSource,
    json_response,
    not_found,
    unauthorized,
    wants_json,
)


async def change_page(site: Site, request: Request) -> Response:
    return await anyio.to_thread.run_sync(partial(_change, site, request))


async def storm_page(site: Site, request: Request) -> Response:
    return await anyio.to_thread.run_sync(partial(_storm, site, request))


def _access(site: Site, request: Request) -> auth.Access:
    return auth.for_workspace(site.db, request.path_params["slug"],
                              auth.Credentials.of(request))


def _change(site: Site, request: Request) -> Response:
    as_json = wants_json(request)
    try:
        access = _access(site, request)
        view = change_requests.get_change(site.db, access.workspace.id or 0,
                                          request.path_params["key"])
    except auth.Unauthorized:
        return unauthorized(site, as_json)
    except DomainError:
        return not_found(site, as_json)
    slug = access.workspace.slug
    related = [{"key": r.key, "title": r.title, "status": r.status, "severity": r.severity,
                "url": site.incident_url(slug, r.key)} for r in view.related]
    if as_json:
        return json_response({**change_json(site, slug, view.change),
                              "related_incidents": related})
    return site.page("change.html", workspace=access.workspace, access=access, v=view,
                     c=view.change, related=related,
                     list_url=f"/ws/{slug}/incidents")


def _storm(site: Site, request: Request) -> Response:
    as_json = wants_json(request)
    text = request.path_params["id"]
    try:
        access = _access(site, request)
        if not text.isdigit() or len(text) > 12:
            raise NotFound("No such storm.")
        view = storm_views.get_storm(site.db, access.workspace.id or 0, int(text))
    except auth.Unauthorized:
        return unauthorized(site, as_json)
    except DomainError:
        return not_found(site, as_json)
    slug = access.workspace.slug
    url = f"{site.base_url}/ws/{slug}/storms/{view.id}"
    if as_json:
        data = view.to_json(url)
        for member in data["members"]:  # type: ignore[attr-defined]
            member["url"] = site.incident_url(slug, member["key"])
        return json_response(data)
    return site.page("storm.html", workspace=access.workspace, access=access, s=view,
                     list_url=f"/ws/{slug}/incidents")


def storm_banners(db: Database) -> StormSource:
    """The list page's banner slot: one line per open storm, linking to its page."""
    def banners(workspace_id: int) -> list[StormBanner]:
        views = storm_views.open_storms(db, workspace_id)
        if not views:
            return []
        slug = storm_views.workspace_slug(db, workspace_id)
        return [StormBanner(view.banner, f"/ws/{slug}/storms/{view.id}") for view in views]
    return banners


def incident_panels(site: Site, workspace_id: int, number: int) -> dict[str, object]:
    """The detail page's Probable cause panel (WA.14) and suggested runbooks (WA.7)."""
    return {"cause": cause.suggest(site.db, workspace_id, number),
            "runbooks": runbooks.for_incident(site.db, workspace_id, number)}


def list_stats(site: Site, workspace_id: int) -> metrics.Stats:
    return stats.workspace_stats(site.db, workspace_id, utcnow())
