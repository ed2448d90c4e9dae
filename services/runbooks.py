"""Runbooks for KB suggestions (WA.7): add, list, remove, and the ones an incident matches."""

from sqlmodel import col, select

from core import runbooks as rules
from core.errors import InvalidInput, NotFound
from core.permissions import Action
from core.validation import clean_text
from services.actor import Actor
from services.records import audit, authorize, load_incident
from store.db import Database
from store.insight_models import Runbook
from store.types import pk

MAX_TITLE = 300
MAX_EXCERPT = 2000
MAX_TAGS = 30
MAX_LINK = 2000


def add(db: Database, actor: Actor, *, title: str, tags: list[str] | str | None = None,
        link: str | None = None, excerpt: str | None = "") -> Runbook:
    name = " ".join((title or "").split())
    if not name:
        raise InvalidInput("The runbook's title is empty.", field="title")
    if len(name) > MAX_TITLE:
        raise InvalidInput(f"The title is {len(name)} characters; the limit is {MAX_TITLE}.",
                           field="title")
    tag_list = rules.clean_tags(tags)
    if len(tag_list) > MAX_TAGS or any(len(t) > 100 for t in tag_list):
        raise InvalidInput(f"At most {MAX_TAGS} tags of at most 100 characters each.",
                           field="tags")
    url = (link or "").strip() or None
    if url is not None and (len(url) > MAX_LINK or not url.lower().startswith(
            ("http://", "https://"))):
        raise InvalidInput("The link must be an http(s) URL of at most 2000 characters.",
                           field="link")
    body = clean_text(excerpt, what="excerpt", limit=MAX_EXCERPT, required=False)
    with db.transaction() as session:
        authorize(actor, Action.POST_UPDATE)
        row = Runbook(workspace_id=actor.workspace_id, title=name, tags=tag_list, link=url,
                      excerpt=body, terms=rules.terms_of(name, tag_list).to_json())
        session.add(row)
        session.flush()
        audit(session, actor, "runbook.added", runbook_id=row.id, title=name)
        return row


def list_runbooks(db: Database, workspace_id: int) -> list[Runbook]:
    with db.read() as session:
        return list(session.exec(select(Runbook).where(Runbook.workspace_id == workspace_id)
                                 .order_by(col(Runbook.id))))


def remove(db: Database, actor: Actor, runbook_id: int) -> Runbook:
    with db.transaction() as session:
        authorize(actor, Action.POST_UPDATE)
        row = session.get(Runbook, runbook_id)
        if row is None or row.workspace_id != actor.workspace_id:
            raise NotFound(f"No runbook #{runbook_id} in this workspace.", field="runbook")
        session.delete(row)
        audit(session, actor, "runbook.removed", runbook_id=runbook_id, title=row.title)
        return row


def candidates(db: Database, workspace_id: int) -> list[rules.Candidate]:
    with db.read() as session:
        rows = session.connection().execute(
            select(col(Runbook.id), col(Runbook.title), col(Runbook.terms))
            .where(col(Runbook.workspace_id) == workspace_id)).all()
    return [rules.Candidate(int(r[0]), r[1], rules.RunbookTerms.from_json(r[2])) for r in rows]


def for_text(db: Database, workspace_id: int, title: str, services: list[str],
             description: str = "", limit: int = rules.DEFAULT_LIMIT
             ) -> list[tuple[rules.Match, Runbook]]:
    wanted = rules.incident_terms(title, services, description)
    found = rules.match(wanted, candidates(db, workspace_id), limit=limit)
    if not found:
        return []
    with db.read() as session:
        rows = {pk(r): r for r in session.exec(select(Runbook).where(
            col(Runbook.id).in_([m.id for m in found])))}
    return [(m, rows[m.id]) for m in found if m.id in rows]


def for_incident(db: Database, workspace_id: int, key: str | int,
                 limit: int = rules.DEFAULT_LIMIT) -> list[tuple[rules.Match, Runbook]]:
    with db.read() as session:
        incident = load_incident(session, workspace_id, key)
    return for_text(db, workspace_id, incident.title, list(incident.services or []),
                    incident.description, limit)
