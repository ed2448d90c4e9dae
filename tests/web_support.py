"""Shared set-up for the web side app tests: two workspaces, credentials of every kind.

`acme` (from the `world` fixture) and `globex` each have an incident, an API token, a
signed-in member and a share link, so every test can ask "own or other workspace?".
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from core.effects import Label
from core.permissions import Role
from services import access, incidents, workspaces
from services.actor import Actor
from store.db import Database
from store.models import Incident, TimelineEvent
from store.types import utcnow
from tests.conftest import World
from vigilo.app import build
from vigilo.settings import Settings
from webhooks.auth import SESSION_COOKIE

BASE_URL = "http://vigilo.test"


class Page(HTMLParser):
    """The parts of a page the tests look at: text, links, elements and attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(" ".join(data.split()))

    @property
    def words(self) -> str:
        return " ".join(self.text)


def seed_incidents(db: Database, workspace_id: int, specs: list[tuple[str, str]],
                   start: int = 100) -> None:
    """Incident rows straight into the table: (status, severity) each, numbers from start."""
    now = utcnow()
    with db.transaction() as session:
        for n, (status, severity) in enumerate(specs, start):
            session.add(Incident(workspace_id=workspace_id, number=n, title=f"Bulk {n}",
                                 status=status, severity=severity,
                                 detected_at=now - timedelta(minutes=n), created_at=now))


def seed_events(db: Database, incident_id: int, count: int) -> None:
    start = utcnow() - timedelta(hours=1)
    with db.transaction() as session:
        session.add_all(TimelineEvent(incident_id=incident_id, at=start + timedelta(seconds=i),
                                      source="slack", label=Label.MESSAGE, actor="Bot",
                                      text=f"event number {i}") for i in range(count))


def own_incident_id(web: "Web", number: int = 1) -> int:
    with web.db.read() as session:
        return session.exec(select(Incident.id).where(
            Incident.workspace_id == web.own.workspace_id, Incident.number == number)).one()


@dataclass
class Tenant:
    slug: str
    workspace_id: int
    actor: Actor
    token: str  # bearer API token
    session: str  # session cookie value of a signed-in member
    share: str  # share token of INC-0001


def signed_in(db: Database, actor: Actor) -> str:
    return access.redeem_login_link(db, access.create_login_link(db, actor)).session_token


def tenant(db: Database, slug: str, actor: Actor, title: str) -> Tenant:
    incidents.declare(db, actor, title=title)
    _, token = workspaces.create_token(db, actor.workspace_id, f"{slug}-ci")
    _, share = access.create_share_link(db, actor, "INC-0001")
    return Tenant(slug, actor.workspace_id, actor, token, signed_in(db, actor), share)


@dataclass
class Web:
    world: World
    client: TestClient
    own: Tenant
    other: Tenant

    @property
    def db(self) -> Database:
        return self.world.db

    def get(self, path: str, *, via: str = "none", tenant: Tenant | None = None,
            as_json: bool = False, share: str | None = None):  # type: ignore[no-untyped-def]
        """GET as `via` (none, token, session, share) with `tenant`'s credentials."""
        who = tenant or self.own
        headers = {"accept": "application/json"} if as_json else {"accept": "text/html"}
        cookies: dict[str, str] = {}
        if via == "token":
            headers["authorization"] = f"Bearer {who.token}"
        elif via == "session":
            cookies[SESSION_COOKIE] = who.session
        elif via == "share":
            # httpx's `params=` would replace the query already in `path`.
            path += ("&" if "?" in path else "?") + urlencode({"share": share or who.share})
        self.client.cookies.clear()
        for name, value in cookies.items():
            self.client.cookies.set(name, value)
        return self.client.get(path, headers=headers)


def make_web(world: World) -> Web:
    app = build(Settings(database_url=world.db.url, base_url=BASE_URL), db=world.db,
                run_worker=False).asgi
    assert app is not None
    own = tenant(world.db, "acme", world.actor(Role.ENGINEER), "Checkout is down")
    globex = workspaces.create_workspace(world.db, "globex", "Globex")
    member = workspaces.add_member(world.db, globex.id or 0, "UGLOBEX1", "Gloria",
                                   Role.ENGINEER)
    other = tenant(world.db, "globex",
                   Actor(globex.id or 0, member.id, member.display_name, Role.ENGINEER),
                   "Globex secret outage")
    return Web(world, TestClient(app, base_url=BASE_URL), own, other)


@pytest.fixture(name="web")
def web_fixture(world: World) -> Iterator[Web]:
    """Import this into a test module to get the `web` fixture."""
    site = make_web(world)
    with site.client:
        yield site
