"""Runbooks for KB suggestions (WA.7): add, list, remove, and the ones an incident matches."""

from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import cache

from sqlalchemy import Executable, bindparam, case, delete, func
from sqlmodel import Session, col, select

from core import runbooks as rules
from core.errors import InvalidInput, NotFound
from core.permissions import Action
from core.validation import clean_text
from services.actor import Actor
from services.records import audit, authorize, load_incident
from store.db import Database
from store.insight_models import Runbook, RunbookTerm
from store.types import pk

MAX_TITLE = 300
MAX_EXCERPT = 2000
MAX_TAGS = 30
MAX_LINK = 2000
MAX_TERM = 100  # longer words match through no index (nobody types them)


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
        terms = rules.terms_of(name, tag_list)
        row = Runbook(workspace_id=actor.workspace_id, title=name, tags=tag_list, link=url,
                      excerpt=body, terms=terms.to_json())
        session.add(row)
        session.flush()
        for term, tag in [*((t, True) for t in terms.tags),
                          *((t, False) for t in terms.title - terms.tags)]:
            if len(term) <= MAX_TERM:
                session.add(RunbookTerm(runbook_id=pk(row), workspace_id=actor.workspace_id,
                                        term=term, tag=tag))
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
        session.execute(delete(RunbookTerm).where(col(RunbookTerm.runbook_id) == runbook_id))
        session.delete(row)
        audit(session, actor, "runbook.removed", runbook_id=runbook_id, title=row.title)
        return row


def _candidates(session: Session, workspace_id: int, wanted: Iterable[str],
                limit: int) -> list[rules.Candidate]:
    """The best `limit` runbooks for `wanted`, each with the terms it shares (all that
    matching needs), found through the term index."""
    terms = sorted(t for t in wanted if len(t) <= MAX_TERM)
    if not terms or limit <= 0:
        return []
    rows = session.connection().execute(_candidates_query(limit),
                                        {"ws": workspace_id, "terms": terms}).all()
    shared: dict[int, tuple[set[str], set[str]]] = {}
    for runbook_id, term, tag in rows:
        title, tags = shared.setdefault(int(runbook_id or 0), (set(), set()))
        (tags if tag else title).add(term)
    return [rules.Candidate(i, "", rules.RunbookTerms(frozenset(t), frozenset(g)))
            for i, (t, g) in shared.items()]


@cache
def _candidates_query(limit: int) -> Executable:
    """Built once per limit (every declaration asks, twice): building and cache-keying it
    cost more than the database took to answer."""
    # The database scores as core.runbooks does (tag terms weigh TAG_WEIGHT, title terms
    # 1), so only the best `limit` runbooks come back; core then ranks and explains them.
    score = func.sum(case((col(RunbookTerm.tag), rules.TAG_WEIGHT), else_=1)).label("score")
    found = (col(RunbookTerm.workspace_id) == bindparam("ws"),
             col(RunbookTerm.term).in_(bindparam("terms", expanding=True)))
    # One round trip: the best few as a subquery, their shared terms straight back.
    top = (select(col(RunbookTerm.runbook_id)).where(*found)
           .group_by(col(RunbookTerm.runbook_id))
           .order_by(score.desc(), col(RunbookTerm.runbook_id).desc()).limit(limit))
    return (select(col(RunbookTerm.runbook_id), col(RunbookTerm.term), col(RunbookTerm.tag))
            .where(*found, col(RunbookTerm.runbook_id).in_(top)))


def for_text(db: Database, workspace_id: int, title: str, services: Sequence[str],
             description: str = "", limit: int = rules.DEFAULT_LIMIT
             ) -> list[tuple[rules.Match, Runbook]]:
    with db.read() as session:
        return for_text_in(session, workspace_id, title, services, description, limit)


def for_text_in(session: Session, workspace_id: int, title: str, services: Sequence[str],
                description: str = "", limit: int = rules.DEFAULT_LIMIT
                ) -> list[tuple[rules.Match, Runbook]]:
    """`for_text` in the caller's read (the situation report reads all it shows in one)."""
    wanted = rules.incident_terms(title, services, description)
    found = rules.match(wanted, _candidates(session, workspace_id, wanted, limit), limit=limit)
    if not found:
        return []
    rows = {pk(r): r for r in session.exec(select(Runbook).where(
        col(Runbook.id).in_([m.id for m in found])))}
    return [(replace(m, title=rows[m.id].title), rows[m.id]) for m in found if m.id in rows]


def for_incident(db: Database, workspace_id: int, key: str | int,
                 limit: int = rules.DEFAULT_LIMIT) -> list[tuple[rules.Match, Runbook]]:
    with db.read() as session:
        incident = load_incident(session, workspace_id, key)
    return for_text(db, workspace_id, incident.title, list(incident.services or []),
                    incident.description, limit)
