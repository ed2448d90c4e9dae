"""`GET /ws/{slug}/settings/integrations`: signed-in admins see each integration's state,
last delivery, last error with its fix, last inbound delivery, pending and dead counts.
HTML, or JSON with `Accept: application/json`."""

from collections.abc import Callable
from functools import partial

import anyio.to_thread
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from core.errors import NotFound, PermissionDenied
from core.permissions import Role
from services import integration_log
from services.actor import Actor
from webhooks import auth
from webhooks.render import Site, json_response, not_found, unauthorized, wants_json
from webhooks.security import SecurityHeaders

States = Callable[[], list[tuple[str, str | None]]]


def routes(site: Site, states: States) -> list[BaseRoute]:
    return [Route("/ws/{slug}/settings/integrations", partial(page, site, states),
                  methods=["GET"], middleware=[Middleware(SecurityHeaders)])]


async def page(site: Site, states: States, request: Request) -> Response:
    return await anyio.to_thread.run_sync(partial(_page, site, states, request))


def _page(site: Site, states: States, request: Request) -> Response:
    as_json = wants_json(request)
    creds = auth.Credentials.of(request)
    try:  # signed-in members only: a bearer token is an integration, not an admin
        access = auth.for_workspace(site.db, request.path_params["slug"],
                                    auth.Credentials(None, creds.session, None))
    except auth.Unauthorized:
        return unauthorized(site, as_json)
    except NotFound:
        return not_found(site, as_json)
    member = access.member
    assert member is not None
    actor = Actor(member.workspace_id, member.id, member.display_name, Role(member.role), "web")
    try:
        shown = integration_log.states(site.db, actor, states())
    except PermissionDenied as error:
        if as_json:
            return json_response({"error": "forbidden", "message": error.message}, 403)
        return site.message("Admins only", error.message, 403)
    if as_json:
        return json_response({"integrations": [s.to_json() for s in shown]})
    return site.page("integrations.html", workspace=access.workspace, states=shown)
