"""`POST /ws/{slug}/changes/` (CI/CD records a change) and `POST /ws/{slug}/runbooks/`.

Bearer API token, JSON body, every field checked on its own so one answer names every
problem (422); `Idempotency-Key` on changes returns the first change (200, replayed).
"""

import json
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from core.change_keys import format_change_key
from core.errors import DomainError, NotFound, PermissionDenied
from core.permissions import Role
from services import change_requests, runbooks
from services.actor import Actor
from store.insight_models import Runbook
from store.models import ChangeRequest
from webhooks import auth
from webhooks.render import Site, json_response, not_found, unauthorized

CHANGE_FIELDS = ("title", "description", "affected_assets", "author", "link", "started_at",
                 "finished_at")
RUNBOOK_FIELDS = ("title", "tags", "link", "excerpt")
MAX_IDEMPOTENCY_KEY = 200  # as for incidents (webhooks/api.py)


async def create_change(site: Site, request: Request) -> Response:
    body = await request.body()
    return await anyio.to_thread.run_sync(partial(_guarded, site, request, body, _change))


async def create_runbook(site: Site, request: Request) -> Response:
    body = await request.body()
    return await anyio.to_thread.run_sync(partial(_guarded, site, request, body, _runbook))


Work = Callable[[Site, Request, Actor, str, dict[str, Any]], Response]


def _guarded(site: Site, request: Request, body: bytes, work: Work) -> Response:
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
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return json_response({"errors": {"body": "The body is not valid JSON."}}, 422)
    if not isinstance(data, dict):
        return json_response({"errors": {"body": "Send a JSON object."}}, 422)
    actor = Actor(access.workspace.id or 0, None, access.token.name, Role.ENGINEER, "api")
    try:
        return work(site, request, actor, access.workspace.slug, data)
    except PermissionDenied as error:
        return json_response({"error": "forbidden", "message": error.message}, 403)
    except DomainError as error:
        return json_response({"errors": {error.field or "body": error.message}}, 422)


def _unknown(data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, str]:
    return {str(name)[:100]: f"Unknown field. Fields: {', '.join(fields)}."
            for name in data if name not in fields}


def _string(data: dict[str, Any], name: str, errors: dict[str, str]) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        errors[name] = f"'{name}' must be a string."
        return None
    return value


def _names(data: dict[str, Any], name: str, errors: dict[str, str]) -> list[str] | str | None:
    value = data.get(name)
    if value is None or isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return value
    errors[name] = f"'{name}' must be a list of names or a comma-separated string."
    return None


def _time(data: dict[str, Any], name: str, errors: dict[str, str]) -> datetime | None:
    text = _string(data, name, errors)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        errors[name] = f"'{text[:40]}' is not an ISO 8601 time like 2026-11-26T03:12:00Z."
        return None


def _change(site: Site, request: Request, actor: Actor, slug: str,
            data: dict[str, Any]) -> Response:
    errors = _unknown(data, CHANGE_FIELDS)
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key.strip()) <= MAX_IDEMPOTENCY_KEY:
        errors["Idempotency-Key"] = (f"The Idempotency-Key header must be 1-"
                                     f"{MAX_IDEMPOTENCY_KEY} characters.")
    try:
        change = change_requests.clean_change(
            _string(data, "title", errors), _string(data, "description", errors),
            _names(data, "affected_assets", errors), _string(data, "author", errors),
            _string(data, "link", errors), _time(data, "started_at", errors),
            _time(data, "finished_at", errors))
    except DomainError as error:
        field = "affected_assets" if error.field == "assets" else (error.field or "body")
        errors.setdefault(field, error.message)
    if errors:
        return json_response({"errors": errors}, 422)
    row, replayed = change_requests.create(site.db, actor, change,
                                           idempotency_key=key.strip() if key else None)
    data_out = change_json(site, slug, row)
    headers = {"location": data_out["url"]}
    if replayed:
        headers["idempotent-replayed"] = "true"
    return json_response(data_out, 200 if replayed else 201, headers)


def change_json(site: Site, slug: str, row: ChangeRequest) -> dict[str, Any]:
    key = format_change_key(row.number)
    return {"key": key, "url": f"{site.base_url}/ws/{slug}/changes/{key}", "title": row.title,
            "description": row.description, "affected_assets": list(row.affected_assets),
            "author": row.author, "link": row.link,
            "started_at": row.started_at.isoformat(),
            "finished_at": row.finished_at.isoformat() if row.finished_at else None}


def _runbook(site: Site, request: Request, actor: Actor, slug: str,
             data: dict[str, Any]) -> Response:
    errors = _unknown(data, RUNBOOK_FIELDS)
    title, tags = _string(data, "title", errors) or "", _names(data, "tags", errors)
    link, excerpt = _string(data, "link", errors), _string(data, "excerpt", errors)
    if errors:
        return json_response({"errors": errors}, 422)
    row = runbooks.add(site.db, actor, title=title, tags=tags, link=link, excerpt=excerpt)
    return json_response(runbook_json(row), 201)


def runbook_json(row: Runbook) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "tags": list(row.tags), "link": row.link,
            "excerpt": row.excerpt}
