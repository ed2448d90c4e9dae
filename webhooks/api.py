"""`POST /ws/{slug}/incidents/`: integrations declare incidents with a bearer API token.

The incident goes through `services.incidents.declare`, so it gets the same lifecycle as one
declared in Slack (channel, situation report, paging), recorded in the same transaction.
"""

import json
from datetime import datetime
from functools import partial
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from core.errors import DomainError, NotFound, PermissionDenied
from core.permissions import Role
from core.severity import parse_severity
from core.validation import MAX_DESCRIPTION, clean_services, clean_text, clean_title
from services import incidents, queries, workspaces
from services.actor import Actor
from store.db import Database
from store.models import Incident
from store.types import utcnow
from webhooks import auth
from webhooks.pages import TIMELINE_PAGE, incident_json
from webhooks.render import Site, json_response, not_found, unauthorized

MAX_BODY = 256 * 1024
MAX_IDEMPOTENCY_KEY = 200
FIELDS = ("title", "description", "severity", "detected_at", "services", "commander")


async def create_incident(site: Site, request: Request) -> Response:
    body = await request.body()
    return await anyio.to_thread.run_sync(partial(_create, site, request, body))


def _create(site: Site, request: Request, body: bytes) -> Response:
    creds = auth.Credentials.of(request)
    if not creds.bearer:
        return unauthorized(site, True)
    try:
        access = auth.for_workspace(site.db, request.path_params["slug"],
                                    auth.Credentials(creds.bearer, None, None))
    except auth.Unauthorized:
        return unauthorized(site, True)
    except NotFound:
        return not_found(site, True)
    assert access.token is not None
    workspace_id = access.workspace.id or 0
    errors: dict[str, str] = {}
    data = _parse(body, errors)
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key.strip()) <= MAX_IDEMPOTENCY_KEY:
        errors["Idempotency-Key"] = (f"The Idempotency-Key header must be 1-"
                                     f"{MAX_IDEMPOTENCY_KEY} characters.")
    fields = _validate(site.db, workspace_id, data, errors) if data is not None else {}
    if errors:
        return json_response({"errors": errors}, 422)
    actor = Actor(workspace_id, None, access.token.name, Role.ENGINEER, "api")
    started = utcnow()
    try:
        incident = incidents.declare(site.db, actor, idempotency_key=key.strip() if key else None,
                                     **fields)
    except PermissionDenied as error:
        return json_response({"error": "forbidden", "message": error.message}, 403)
    except DomainError as error:
        name = "commander" if error.field == "member" else error.field
        return json_response({"errors": {name or "body": error.message}}, 422)
    return _created(site, access.workspace.slug, incident, replay=incident.created_at < started)


def _created(site: Site, slug: str, incident: Incident, *, replay: bool) -> Response:
    detail = queries.get_detail(site.db, incident.workspace_id, incident.number,
                                timeline_limit=TIMELINE_PAGE, postmortem_timeline=False)
    data = incident_json(site, slug, detail, 0, TIMELINE_PAGE)
    headers = {"location": data["url"]}
    if replay:
        headers["idempotent-replayed"] = "true"
    return json_response(data, 200 if replay else 201, headers)


def _parse(body: bytes, errors: dict[str, str]) -> dict[str, Any] | None:
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        errors["body"] = "The body is not valid JSON."
        return None
    if not isinstance(data, dict):
        errors["body"] = ('Send a JSON object, e.g. {"title": "Checkout is down", '
                          '"severity": "p1"}.')
        return None
    for name in data:
        if name not in FIELDS:
            errors[str(name)[:100]] = f"Unknown field. Fields: {', '.join(FIELDS)}."
    return data


def _text(data: dict[str, Any], name: str, errors: dict[str, str]) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        errors[name] = f"'{name}' must be a string."
        return None
    return value


def _validate(db: Database, workspace_id: int, data: dict[str, Any],
              errors: dict[str, str]) -> dict[str, Any]:
    """Every field checked on its own, so one answer names every problem."""
    out: dict[str, Any] = {}
    checks: list[tuple[str, Any]] = [
        ("title", lambda: clean_title(_text(data, "title", errors) or "")),
        ("description", lambda: clean_text(_text(data, "description", errors),
                                           what="description", limit=MAX_DESCRIPTION,
                                           required=False)),
        ("severity", lambda: parse_severity(_text(data, "severity", errors)).value),
        ("services", lambda: _services(data.get("services"))),
        ("detected_at", lambda: _when(_text(data, "detected_at", errors))),
        ("commander_id", lambda: _commander(db, workspace_id,
                                            _text(data, "commander", errors))),
    ]
    for name, check in checks:
        try:
            out[name] = check()
        except DomainError as error:
            field = "commander" if name == "commander_id" else name
            errors.setdefault(field, error.message)
    return out


def _services(value: Any) -> list[str]:
    if value is not None and not isinstance(value, str | list) or (
            isinstance(value, list) and not all(isinstance(v, str) for v in value)):
        raise DomainError("'services' must be a list of names or a comma-separated string.")
    return clean_services(value)


def _when(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise DomainError(f"'{text[:40]}' is not an ISO 8601 time like "
                          "2026-11-26T03:12:00Z.") from None
    if value.tzinfo is None:
        raise DomainError("detected_at needs a timezone (e.g. 2026-11-26T03:12:00Z).")
    if value > utcnow():
        raise DomainError("detected_at is in the future.")
    return value


def _commander(db: Database, workspace_id: int, who: str | None) -> int | None:
    """A Slack user id (U012ABCDEF) or a member's e-mail address."""
    if who is None or not who.strip():
        return None
    who = who.strip()
    member = (queries.member_by_email(db, workspace_id, who) if "@" in who
              else workspaces.find_member(db, workspace_id, who))
    if member is None:
        raise DomainError(f"No member '{who[:100]}' in this workspace: give a Slack user id "
                          "(U012ABCDEF) or the e-mail of a member.")
    return member.id
