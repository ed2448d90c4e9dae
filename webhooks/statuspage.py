"""`GET /status/{slug}`: the public status page, with no sign-in. HTML, JSON with
`Accept: application/json`, and an Atom feed at `/status/{slug}/feed.atom`.

It is drawn only from `services.statuspage`'s public read model: public titles, public
updates and affected services; never member names, Slack text or internal fields.
"""

from functools import partial
from xml.sax.saxutils import escape

import anyio.to_thread
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from core import statuspage as public
from core.errors import NotFound
from services import statuspage
from webhooks.render import Site, wants_json
from webhooks.security import SecurityHeaders

PUBLIC = {"cache-control": "public, max-age=30", "vary": "Accept"}


def routes(site: Site) -> list[BaseRoute]:
    secure = [Middleware(SecurityHeaders)]
    return [Route("/status/{slug}", partial(page, site), methods=["GET"], middleware=secure),
            Route("/status/{slug}/feed.atom", partial(feed, site), methods=["GET"],
                  middleware=secure)]


async def page(site: Site, request: Request) -> Response:
    slug = request.path_params["slug"]
    try:
        shown = await anyio.to_thread.run_sync(statuspage.public_page, site.db, slug)
    except NotFound:
        if wants_json(request):
            return JSONResponse({"error": "not_found"}, status_code=404)
        return site.message("Not found", "There is no status page here.", 404)
    if wants_json(request):
        return JSONResponse(statuspage.page_json(shown, f"{site.base_url}/status/{slug}"),
                            headers=PUBLIC)
    html = site.env.get_template("status.html").render(page=shown, labels=public.LABELS)
    return HTMLResponse(html, headers=PUBLIC)


async def feed(site: Site, request: Request) -> Response:
    slug = request.path_params["slug"]
    try:
        shown = await anyio.to_thread.run_sync(statuspage.public_page, site.db, slug)
    except NotFound:
        return Response("no such status page", status_code=404, media_type="text/plain")
    url = f"{site.base_url}/status/{shown.slug}"
    entries = sorted(((i, u) for i in (*shown.active, *shown.recent) for u in i.updates),
                     key=lambda pair: pair[1].at, reverse=True)[:statuspage.FEED_SIZE]
    updated = shown.updated_at
    parts = ['<?xml version="1.0" encoding="utf-8"?>',
             '<feed xmlns="http://www.w3.org/2005/Atom">',
             f"<title>{escape(shown.name)} status</title>",
             f'<link href="{escape(url)}"/>', f"<id>{escape(url)}</id>",
             f"<updated>{(updated.isoformat() if updated else '1970-01-01T00:00:00+00:00')}"
             "</updated>"]
    for incident, update in entries:
        stamp = update.at.isoformat()
        parts += ["<entry>",
                  f"<title>{escape(public.LABELS[update.status])}: "
                  f"{escape(incident.title)}</title>",
                  f'<link href="{escape(url)}"/>',
                  f"<id>{escape(url)}/incidents/{incident.id}/{escape(stamp)}</id>",
                  f"<updated>{stamp}</updated>",
                  f"<content type=\"text\">{escape(update.message)}</content>",
                  "<author><name>Status page</name></author>", "</entry>"]
    parts.append("</feed>")
    return Response("\n".join(parts), media_type="application/atom+xml", headers=PUBLIC)
