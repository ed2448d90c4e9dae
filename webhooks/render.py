"""Templates, filters and the few response shapes every page shares.

Everything a person typed reaches the page through Jinja with autoescape on; the only
markup we build by hand is `linkify`, which escapes first and links only http(s) URLs.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from core.durations import ago_text, duration_text
from core.effects import SPOKEN_LABELS
from core.severity import Severity
from store.db import Database
from store.types import utcnow

PRIVATE = {"cache-control": "no-store", "vary": "Accept, Authorization, Cookie"}
_URL = re.compile(r"https?://[^\s<>\"'|`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"


@dataclass(frozen=True)
class StormBanner:
    """One line in the storm banner slot of the list page (filled by storm detection)."""

    text: str
    url: str | None = None


StormSource = Callable[[int], list[StormBanner]]


def no_storms(workspace_id: int) -> list[StormBanner]:
    return []


@dataclass
class Site:
    db: Database
    base_url: str
    env: Environment
    storms: StormSource = field(default=no_storms)

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status, headers=PRIVATE)

    def message(self, title: str, text: str, status: int) -> HTMLResponse:
        return self.page("message.html", status, title=title, text=text)

    def incident_url(self, slug: str, key: str) -> str:
        return f"{self.base_url}/ws/{slug}/incidents/{key}"


def environment() -> Environment:
    env = Environment(loader=PackageLoader("webhooks", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(utc=utc, ago=ago, linkify=linkify, severity_label=severity_label,
                       status_label=status_label, duration=duration, since=since,
                       by_day=by_day, day_label=day_label)
    env.globals["query"] = query
    env.globals["spoken"] = SPOKEN_LABELS
    return env


def utc(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def duration(seconds: float) -> str:
    return duration_text(seconds)


def since(value: datetime, now: datetime | None = None) -> float:
    """Seconds from `value` until now (for "for 42 min")."""
    return ((now or utcnow()) - value).total_seconds()


def by_day(events: Iterable[Any]) -> list[tuple[date, list[Any], int]]:
    """Timeline events (in time order) grouped by their UTC day: (day, events, index of the
    day's first event), so each day gets one heading and rows show only the time."""
    days: list[tuple[date, list[Any], int]] = []
    for index, event in enumerate(events):
        day = event.at.astimezone(UTC).date()
        if not days or days[-1][0] != day:
            days.append((day, [], index))
        days[-1][1].append(event)
    return days


def day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def ago(value: datetime | None, now: datetime | None = None) -> str:
    return ago_text((now or utcnow()) - value) if value is not None else ""


def linkify(text: str | None) -> Markup:
    """Escaped text with http(s) URLs made into links; any other scheme stays plain text."""
    value = text or ""
    parts: list[Markup] = []
    position = 0
    for match in _URL.finditer(value):
        url = match.group(0).rstrip(_TRAILING)
        parts.append(escape(value[position:match.start()]))
        parts.append(Markup('<a href="{0}" rel="nofollow noopener noreferrer">{0}</a>')
                     .format(url))
        position = match.start() + len(url)
    parts.append(escape(value[position:]))
    return Markup("").join(parts)


def severity_label(value: str) -> str:
    try:
        return Severity(value).label
    except ValueError:
        return value


def status_label(value: str) -> str:
    return value.replace("_", " ")


def query(**params: Any) -> str:
    """A `?a=1&b=2` suffix from the non-empty params (lists repeat the name)."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if item not in (None, "", False):
                pairs.append((name, str(item)))
    return "?" + urlencode(pairs) if pairs else ""


def wants_json(request: Request) -> bool:
    """JSON when the client prefers application/json to text/html (q-values respected)."""
    accept = request.headers.get("accept", "")
    weights: dict[str, float] = {}
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, number = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(number)
                except ValueError:
                    q = 0.0
        weights[media.strip().lower()] = q
    json_q = weights.get("application/json", 0.0)
    html_q = max(weights.get("text/html", 0.0), weights.get("*/*", 0.0) * 0.99)
    return json_q > 0 and json_q >= html_q


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers={**PRIVATE, **(headers or {})})


# The same body for a missing incident, a wrong or revoked share link and a foreign
# workspace, so that no answer tells them apart.
NOT_FOUND_TEXT = ("There is nothing here. The incident or workspace does not exist, "
                  "or the link you followed was revoked.")


def not_found(site: Site, as_json: bool) -> Response:
    if as_json:
        return json_response({"error": "not_found", "message": NOT_FOUND_TEXT}, 404)
    return site.message("Not found", NOT_FOUND_TEXT, 404)


UNAUTHORIZED_TEXT = ("Sign in to see this page: type /vigilo web in Slack and follow the "
                     "link it sends you. Integrations send an API token as "
                     "'Authorization: Bearer …'.")


def unauthorized(site: Site, as_json: bool) -> Response:
    challenge = {"www-authenticate": 'Bearer realm="vigilo"'}
    if as_json:
        return json_response({"error": "unauthorized", "message": UNAUTHORIZED_TEXT}, 401,
                             challenge)
    response = site.message("Sign in", UNAUTHORIZED_TEXT, 401)
    response.headers.update(challenge)
    return response


def bad_request(site: Site, as_json: bool, errors: dict[str, str]) -> Response:
    if as_json:
        return json_response({"errors": errors}, 400)
    return site.message("Bad request", " ".join(errors.values()), 400)
