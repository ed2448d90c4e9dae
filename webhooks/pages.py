"""The incident list and detail pages; the same URLs answer JSON to `Accept: application/json`.

Endpoints are async only to hop onto a worker thread: every database call and template
render runs in `anyio.to_thread`, never on the event loop.
"""

from functools import partial
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from core.errors import DomainError, NotFound
from core.fsm import ACTIVE_STATUSES, STATUS_ORDER, Status
from core.severity import Severity
from services import queries
from webhooks import auth, insight_pages, postmortem_tab
from webhooks.render import (
    Site,
    bad_request,
    json_response,
    not_found,
    query,
    status_label,
    unauthorized,
    wants_json,
)

GROUP_CAP = 25  # incidents shown per status group before a "show all" link
LIST_PAGE = 100  # incidents per page once one status is chosen
TIMELINE_PAGE = 200  # timeline events per page (HTML, and the JSON default)
MAX_JSON_LIMIT = 1000
TABS = ("overview", "timeline", "responders", "root-cause", "action-items", "postmortem")


async def incident_list(site: Site, request: Request) -> Response:
    return await anyio.to_thread.run_sync(partial(_list, site, request))


async def incident_detail(site: Site, request: Request) -> Response:
    return await anyio.to_thread.run_sync(partial(_detail, site, request))


def _int(request: Request, name: str, default: int, errors: dict[str, str],
         low: int = 0, high: int | None = None) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or int(text) < low or (high is not None and int(text) > high):
        limit = f" and at most {high}" if high is not None else ""
        errors[name] = f"'{name}' must be a whole number of at least {low}{limit}."
        return default
    return int(text)


def _filters(request: Request, errors: dict[str, str]) -> tuple[list[Status], list[str]]:
    statuses: list[Status] = []
    for value in request.query_params.getlist("status"):
        if value == "active":
            statuses.extend(s for s in ACTIVE_STATUSES if s not in statuses)
        elif value in {s.value for s in Status}:
            if Status(value) not in statuses:
                statuses.append(Status(value))
        elif value:
            errors["status"] = (f"Unknown status '{value}'. Use active, "
                                + ", ".join(s.value for s in STATUS_ORDER) + ".")
    severities: list[str] = []
    for value in request.query_params.getlist("severity"):
        if value in {s.value for s in Severity}:
            if value not in severities:
                severities.append(value)
        elif value:
            errors["severity"] = f"Unknown severity '{value}'. Use p1, p2, p3 or p4."
    ordered = [s for s in STATUS_ORDER if s in statuses]
    return ordered, sorted(severities)


def _list(site: Site, request: Request) -> Response:
    as_json = wants_json(request)
    slug = request.path_params["slug"]
    try:
        access = auth.for_workspace(site.db, slug, auth.Credentials.of(request))
    except auth.Unauthorized:
        return unauthorized(site, as_json)
    except NotFound:
        return not_found(site, as_json)
    errors: dict[str, str] = {}
    statuses, severities = _filters(request, errors)
    if as_json:
        offset = _int(request, "offset", 0, errors)
        limit = _int(request, "limit", LIST_PAGE, errors, 1, MAX_JSON_LIMIT)
    else:
        page = _int(request, "page", 1, errors, 1)
    if errors:
        return bad_request(site, as_json, errors)
    workspace_id = access.workspace.id or 0
    base = f"{site.base_url}/ws/{access.workspace.slug}/incidents"
    counts = queries.count_by_status(site.db, workspace_id, severities=severities)
    figures = insight_pages.list_stats(site, workspace_id)
    if as_json:
        rows, total = queries.incident_page(site.db, workspace_id, statuses=statuses,
                                            severities=severities, offset=offset, limit=limit)
        more = offset + len(rows) < total
        return json_response({
            "workspace": {"slug": access.workspace.slug, "name": access.workspace.name},
            "counts": {s.value: counts.get(s.value, 0) for s in STATUS_ORDER},
            "total": total, "offset": offset, "limit": limit, "stats": figures.to_json(),
            "incidents": [queries.summary_json(r, f"{base}/{r.key}") for r in rows],
            "next": base + query(status=[s.value for s in statuses], severity=severities,
                                 offset=offset + limit, limit=limit) if more else None,
        })
    groups = _groups(site, workspace_id, statuses, severities, counts, page)
    paged = len(groups) == 1 and groups[0]["paged"]
    pages = max(1, -(-groups[0]["count"] // LIST_PAGE)) if paged else 1
    if paged and page > pages:
        return bad_request(site, False, {"page": f"There are only {pages} pages."})
    return site.page(
        "list.html", workspace=access.workspace, access=access, groups=groups,
        counts={s.value: counts.get(s.value, 0) for s in STATUS_ORDER},
        statuses=[s.value for s in statuses], severities=severities,
        all_statuses=list(STATUS_ORDER), all_severities=list(Severity),
        storms=site.storms(workspace_id), stats=figures, page=page, pages=pages, paged=paged,
        page_url=lambda n: query(status=[s.value for s in statuses], severity=severities,
                                 page=n if n > 1 else None))


def _groups(site: Site, workspace_id: int, statuses: list[Status], severities: list[str],
            counts: dict[str, int], page: int) -> list[dict[str, Any]]:
    """The list's sections: one "Active" group, most pressing first (severity, then the
    longest-running), then one per closed status. Choosing one status, or exactly the active
    ones, pages through that group instead of capping it."""
    shown = statuses or list(STATUS_ORDER)
    active = [s for s in shown if s in ACTIVE_STATUSES]
    sections: list[tuple[str, str, list[Status]]] = []
    if active:
        title = "Active" if len(active) > 1 else status_label(active[0].value).capitalize()
        sections.append((title, "active" if len(active) > 1 else active[0].value, active))
    sections += [(status_label(s.value).capitalize(), s.value, [s])
                 for s in shown if s not in ACTIVE_STATUSES]
    paged = len(sections) == 1 and bool(statuses)
    groups: list[dict[str, Any]] = []
    for title, slug, members in sections:
        count = sum(counts.get(s.value, 0) for s in members)
        if not count and not paged:
            continue
        size = LIST_PAGE if paged else GROUP_CAP
        rows, _ = queries.incident_page(site.db, workspace_id, statuses=members,
                                        severities=severities,
                                        offset=(page - 1) * size if paged else 0, limit=size,
                                        most_pressing=members[0] in ACTIVE_STATUSES)
        groups.append({"title": title, "id": slug, "count": count, "rows": rows,
                       "active": members[0] in ACTIVE_STATUSES, "paged": paged,
                       "all_url": query(status=[s.value for s in members],
                                        severity=severities)})
    return groups


def _detail(site: Site, request: Request) -> Response:
    as_json = wants_json(request)
    slug, key = request.path_params["slug"], request.path_params["key"]
    creds = auth.Credentials.of(request)
    try:
        access = auth.for_incident(site.db, slug, key, creds)
    except auth.Unauthorized:
        return unauthorized(site, as_json)
    except NotFound:
        return not_found(site, as_json)
    errors: dict[str, str] = {}
    share = creds.share if access.shared else None
    workspace_id = access.workspace.id or 0
    if as_json:
        offset = _int(request, "timeline_offset", 0, errors)
        limit = _int(request, "timeline_limit", TIMELINE_PAGE, errors, 0, MAX_JSON_LIMIT)
        if errors:
            return bad_request(site, True, errors)
        try:
            detail = queries.get_detail(site.db, workspace_id, key, timeline_offset=offset,
                                        timeline_limit=limit, postmortem_timeline=False)
        except DomainError:
            return not_found(site, True)
        return json_response(incident_json(site, access.workspace.slug, detail, offset, limit,
                                           share))
    tab = request.query_params.get("tab") or "overview"
    page = _int(request, "page", 1, errors, 1)
    if tab not in TABS:
        errors["tab"] = f"Unknown tab '{tab}'. Tabs: {', '.join(TABS)}."
    if errors:
        return bad_request(site, False, errors)
    paged = tab == "timeline"
    try:
        detail = queries.get_detail(site.db, workspace_id, key,
                                    timeline_offset=(page - 1) * TIMELINE_PAGE,
                                    timeline_limit=TIMELINE_PAGE if paged else 0,
                                    postmortem_timeline=False)
    except DomainError:
        return not_found(site, False)
    incident = detail.incident
    has_postmortem = (detail.postmortem is not None
                      or incident.status in (Status.RESOLVED, Status.POST_MORTEM))
    if tab == "postmortem" and not has_postmortem:
        return bad_request(site, False, {"tab": "The postmortem tab opens once the incident "
                                                "is resolved."})
    total = (detail.timeline_total if tab != "postmortem"
             else detail.extra.get("postmortem_timeline_total", 0))
    pages = max(1, -(-total // TIMELINE_PAGE))
    if page > pages:
        return bad_request(site, False, {"page": f"There are only {pages} pages."})
    start = (page - 1) * TIMELINE_PAGE
    snapshot = (queries.postmortem_events(site.db, incident.id or 0, start, TIMELINE_PAGE)
                if tab == "postmortem" and detail.postmortem else [])
    pm = (postmortem_tab.view(site.db, workspace_id, detail.key, snapshot, total)
          if snapshot or (tab == "postmortem" and detail.postmortem) else None)
    return site.page(
        "detail.html", workspace=access.workspace, access=access, d=detail, i=incident,
        tab=tab, tabs=[t for t in TABS if t != "postmortem" or has_postmortem],
        recent=(queries.recent_events(site.db, incident.id or 0) if tab == "overview"
                else []),
        snapshot=snapshot, pm=pm,
        insight=(insight_pages.incident_panels(site, workspace_id, incident.number)
                 if tab == "overview" and not access.shared else None),
        page=page, pages=pages, total=total, first=start + 1,
        tab_url=lambda t: query(share=share, tab=t if t != "overview" else None),
        pager_url=lambda n: query(share=share, tab=tab, page=n if n > 1 else None),
        list_url=f"/ws/{access.workspace.slug}/incidents")


def incident_json(site: Site, slug: str, detail: queries.IncidentDetail, offset: int,
                  limit: int, share: str | None = None) -> dict[str, Any]:
    """The documented incident JSON (docs/api.md): `detail_json` plus the paging of its
    timeline, and the postmortem's copy of the timeline paged the same way. `detail` comes
    from `get_detail(..., postmortem_timeline=False)`."""
    url = site.incident_url(slug, detail.key)
    data = queries.detail_json(detail, url)
    more = offset + len(detail.timeline) < detail.timeline_total
    data["timeline_offset"], data["timeline_limit"] = offset, limit
    data["timeline_next"] = (url + query(share=share, timeline_offset=offset + limit,
                                         timeline_limit=limit) if more and limit else None)
    postmortem = data.get("postmortem")
    if postmortem is not None:
        postmortem["timeline_total"] = detail.extra.get("postmortem_timeline_total", 0)
        postmortem["timeline"] = (queries.postmortem_events(site.db, detail.incident.id or 0,
                                                            offset, limit) if limit else [])
    return data
