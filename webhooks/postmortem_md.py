"""`GET /ws/{slug}/incidents/{key}/postmortem.md`: the postmortem as Markdown for a wiki.

CommonMark that Confluence, Notion and GitHub all paste the same way: ATX headings, a pipe
table for the durations, bullet lists, `- [ ]` task items. What people typed on the timeline
is one line per entry with Markdown's special characters escaped, so a stray `*` or `#`
cannot restyle the document; the written sections are the authors' own Markdown.
Same access as the detail page: a session or API token of the workspace, or the share link.
"""

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from core.errors import DomainError, NotFound
from core.postmortem import OUTLINE, PmStatus, Section, span_text, when_text
from services.postmortem_view import PostmortemView, get_postmortem
from webhooks import auth
from webhooks.render import PRIVATE, Site, not_found, unauthorized

# Markdown's inline specials, backslash-escaped; a translate table is several times faster
# than a regex over 10,000 lines.
_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_{}[]<>#|!~"})
_SOURCES = {"record": "drafted from the incident's record"}


async def postmortem_markdown(site: Site, request: Request) -> Response:
    return await anyio.to_thread.run_sync(partial(_markdown, site, request))


def _markdown(site: Site, request: Request) -> Response:
    slug, key = request.path_params["slug"], request.path_params["key"]
    try:
        access = auth.for_incident(site.db, slug, key, auth.Credentials.of(request))
        view = get_postmortem(site.db, access.workspace.id or 0, key, whole_timeline=True)
    except auth.Unauthorized:
        return unauthorized(site, False)
    except (NotFound, DomainError):
        return not_found(site, False)
    body = render(view, site.incident_url(access.workspace.slug, view.key))
    filename = f"{view.key}-postmortem.md"
    return Response(body, media_type="text/markdown; charset=utf-8",
                    headers={**PRIVATE,
                             "content-disposition": f'inline; filename="{filename}"'})


def inline(text: str | None) -> str:
    """One line of plain text, safe inside Markdown."""
    flat = " ".join((text or "").split())
    return flat.translate(_ESCAPES)


def render(view: PostmortemView, url: str) -> str:
    return "".join(lines(view, url))


def lines(view: PostmortemView, url: str) -> Iterator[str]:
    yield f"# Postmortem: {view.key} {inline(view.title)}\n\n"
    status = view.last(view.status)
    who = f" by {inline(status.actor)}, {when_text(status.at)}" if status and status.actor else ""
    yield (f"**Status:** {view.status.label}{who} · **Severity:** {view.severity.upper()} · "
           f"**Incident:** [{view.key}]({url})\n\n")
    if view.status != PmStatus.PUBLISHED:
        yield "> Not published yet: this is a working copy.\n\n"
    for part in OUTLINE:
        if part == "timeline":
            yield from _timeline(view)
        elif part == "action_items":
            yield from _items(view)
        else:
            yield from _section(view, Section(part))


def _section(view: PostmortemView, section: Section) -> Iterator[str]:
    yield f"## {section.heading}\n\n"
    if section == Section.IMPACT:
        yield "| Milestone | When (UTC) | Since the previous one |\n|---|---|---|\n"
        for stone in view.stones:
            yield (f"| {stone.name.capitalize()} | {when_text(stone.at)} | "
                   f"{span_text(stone.since_previous)} |\n")
        first, last = view.stones[0].at, view.stones[-1].at
        if first is not None and last is not None:
            yield f"\n**Detected to resolved:** {span_text(last - first)}\n"
        yield "\n"
    shown = view.section(section)
    if shown.is_draft:
        source = _SOURCES.get(shown.draft_source, f"suggested by {shown.draft_source}")
        yield f"*Draft ({source}), not yet accepted:*\n\n"
    if shown.shown:
        yield shown.shown.replace("\r\n", "\n").strip() + "\n\n"
    elif section != Section.IMPACT:
        yield "*Not written yet.*\n\n"


def _timeline(view: PostmortemView) -> Iterator[str]:
    yield f"## Timeline\n\n{view.timeline_total} entries, oldest first. Times in UTC.\n\n"
    day = ""
    names: dict[str, str] = {}  # few people write many entries: escape each name once
    for entry in view.timeline:
        at = str(entry.get("at") or "")
        # The copy's times are UTC ISO strings: the day and the clock are slices of them.
        if at[:10] != day:
            day = at[:10]
            parsed = _at(at)
            yield f"\n**{parsed:%A %d %B %Y}**\n\n" if parsed else "\n"
        clock = at[11:19] or "—"
        who = entry.get("actor")
        if who:
            actor = names.get(who)
            if actor is None:
                actor = names[who] = f" · {inline(who)}"
        else:
            actor = ""
        label = str(entry.get("label") or "").replace("_", " ")
        yield f"- **{clock}**{actor} · {inline(label)}: {inline(entry.get('text'))}\n"
    yield "\n"


def _items(view: PostmortemView) -> Iterator[str]:
    yield "## Action items\n\n"
    if not view.items:
        yield "*None.*\n\n"
        return
    for item in view.items:
        extra = []
        if item.owner:
            extra.append(f"owner: {inline(item.owner)}")
        if item.due_on:
            extra.append(f"due {item.due_on.isoformat()}")
        tail = f" ({', '.join(extra)})" if extra else ""
        yield f"- [{'x' if item.done else ' '}] #{item.id} {inline(item.text)}{tail}\n"
    yield "\n"


def _at(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
