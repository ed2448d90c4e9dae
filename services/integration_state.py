"""Integration state: link an outside system's id to a workspace (and incident), find it,
and keep what the integration must remember about it (`state`, a small JSON object).

Each function is one short transaction, except the `*_in` forms, which run inside the
caller's (so a link can be written atomically with the change that made it).
"""

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import CTE, JSON, Row, bindparam, cast, insert, literal
from sqlalchemy import select as select_rows
from sqlalchemy import update as update_rows
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session, col, select

from services.records import is_unique_violation
from store.db import Database
from store.models import IntegrationLink
from store.types import utcnow

_LINKS = IntegrationLink.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Link:
    id: int
    integration: str
    external_id: str
    kind: str
    workspace_id: int
    incident_id: int | None
    state: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


def _link(row: IntegrationLink) -> Link:
    return Link(row.id or 0, row.integration, row.external_id, row.kind, row.workspace_id,
                row.incident_id, dict(row.state or {}), row.created_at, row.updated_at)


def link_in(session: Session, integration: str, external_id: str, *, kind: str,
            workspace_id: int, incident_id: int | None = None,
            state: dict[str, Any] | None = None) -> Link:
    """Record the link inside the caller's transaction (a repeat raises IntegrityError)."""
    row = IntegrationLink(integration=integration, external_id=external_id, kind=kind,
                          workspace_id=workspace_id, incident_id=incident_id,
                          state=dict(state or {}))
    session.add(row)
    session.flush()
    return _link(row)


def link(db: Database, integration: str, external_id: str, *, kind: str, workspace_id: int,
         incident_id: int | None = None, state: dict[str, Any] | None = None
         ) -> tuple[Link, bool]:
    """The link for this id, made now if it did not exist; and whether this call made it."""
    try:
        with db.transaction() as session:
            return link_in(session, integration, external_id, kind=kind,
                           workspace_id=workspace_id, incident_id=incident_id,
                           state=state), True
    except IntegrityError as error:
        if not is_unique_violation(error):
            raise
    found = find(db, integration, external_id)
    if found is None:
        raise LookupError(f"{integration} {external_id} was linked and then removed")
    return found, False


def find(db: Database, integration: str, external_id: str) -> Link | None:
    with db.read() as session:
        row = session.exec(select(IntegrationLink).where(
            IntegrationLink.integration == integration,
            IntegrationLink.external_id == external_id)).first()
        return _link(row) if row else None


def for_incident(db: Database, integration: str, incident_id: int,
                 kind: str | None = None) -> list[Link]:
    """The incident's links of one integration (of one kind), oldest first."""
    with db.read() as session:
        query = select(IntegrationLink).where(IntegrationLink.incident_id == incident_id,
                                              IntegrationLink.integration == integration)
        if kind is not None:
            query = query.where(IntegrationLink.kind == kind)
        return [_link(r) for r in session.exec(query.order_by(col(IntegrationLink.id)))]


def first_for_incident(db: Database, integration: str, incident_id: int,
                       kind: str) -> Link | None:
    found = for_incident(db, integration, incident_id, kind)
    return found[0] if found else None


def update(db: Database, integration: str, external_id: str, **state: Any) -> Link | None:
    """Merge `state` into the link's state (None when there is no such link)."""
    if not db.sqlite:
        # One statement, its own transaction: the row lock the UPDATE takes makes the merge
        # atomic as SELECT ... FOR UPDATE did, in one round trip instead of four.
        with db.statements() as connection:
            found = connection.execute(_merge_state(), {
                "of": integration, "external": external_id, "patch": state,
                "now": utcnow()}).first()
        return _link_of(found) if found else None
    with db.transaction() as session:
        row = session.exec(select(IntegrationLink).where(
            IntegrationLink.integration == integration,
            IntegrationLink.external_id == external_id).with_for_update()).first()
        if row is None:
            return None
        row.state = {**(row.state or {}), **state}
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        return _link(row)


@functools.cache
def _merge_state() -> Executable:
    """PostgreSQL: the stored object with `patch`'s keys replaced, as `{**state, **patch}`."""
    table = _LINKS
    merged = cast(cast(table.c.state, JSONB).op("||")(
        cast(bindparam("patch", type_=JSON), JSONB)), JSON)
    return (update_rows(table)
            .where(table.c.integration == bindparam("of"),
                   table.c.external_id == bindparam("external"))
            .values(state=merged, updated_at=bindparam("now"))
            .returning(*table.c))


def link_claimed(claimed: CTE, integration: str, kind: str, external_id: str,
                 state: str | None = None) -> CTE:
    """PostgreSQL, for a statement of CTEs: the INSERT linking the incident that `claimed`
    (an UPDATE … RETURNING id, workspace_id) returned, if any, to the outside id in the
    parameter named `external_id`, with the state in the parameter `state` (else empty),
    stamped with the parameter `now`."""
    now = bindparam("now", type_=_LINKS.c.created_at.type)
    given = (bindparam(state, type_=_LINKS.c.state.type) if state
             else literal({}, _LINKS.c.state.type))
    return insert(_LINKS).from_select(
        ["integration", "external_id", "kind", "workspace_id", "incident_id", "state",
         "created_at", "updated_at"],
        select_rows(literal(integration), bindparam(external_id), literal(kind),
                    claimed.c.workspace_id, claimed.c.id, given, now, now)
    ).returning(_LINKS.c.id).cte("linked")


def _link_of(row: Row[Any]) -> Link:
    return Link(row.id, row.integration, row.external_id, row.kind, row.workspace_id,
                row.incident_id, dict(row.state or {}), row.created_at, row.updated_at)
