"""What the PagerDuty integration reads and writes through: the incident it mirrors, and
the link to PagerDuty's incident id (an `integration_link`, with the denormalised copy on
`Incident.pagerduty_incident_id` that the pages and the seed's JSON read)."""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Executable, bindparam, func, update
from sqlalchemy import select as core_select
from sqlmodel import col, select

from core.keys import format_key
from core.severity import Severity
from services import integration_state
from store.db import Database
from store.models import Incident, TimelineEvent, Workspace
from store.types import utcnow

INTEGRATION = "pagerduty"
KIND = "incident"

# An incident declared from a PagerDuty alert carries this declare key: it is mirrored
# from birth, so nothing is ever created on PagerDuty for it.
DECLARE_PREFIX = "pagerduty:"


@dataclass(frozen=True)
class Mirror:
    """An incident as PagerDuty sees it."""

    incident_id: int
    workspace_id: int
    workspace_slug: str
    key: str
    title: str
    severity: Severity
    status: str
    pagerduty_incident_id: str | None

    @property
    def dedup_key(self) -> str:
        """PagerDuty's incident_key: one per Vigilo incident, so a retried create is refused
        as a duplicate instead of opening a second incident."""
        return f"vigilo-{self.workspace_id}-{self.incident_id}"


def mirror(db: Database, incident_id: int) -> Mirror | None:
    with db.read() as session:
        row = session.execute(_mirror_query(), {"id": incident_id}).first()
    if row is None:
        return None
    pd_id = row.pagerduty_incident_id
    if pd_id is None and (row.declare_key or "").startswith(DECLARE_PREFIX):
        pd_id = (row.declare_key or "")[len(DECLARE_PREFIX):]
    return Mirror(row.id, row.workspace_id, row.slug, format_key(row.number), row.title,
                  Severity(row.severity), row.status, pd_id)


@cache
def _mirror_query() -> Executable:
    # Columns, not the ORM row, by a statement built once: read for every PagerDuty effect.
    columns = (Incident.id, Incident.workspace_id, Workspace.slug, Incident.number,
               Incident.title, Incident.severity, Incident.status,
               Incident.pagerduty_incident_id, Incident.declare_key)
    return (core_select(*(col(c) for c in columns))
            .join(Workspace, col(Workspace.id) == col(Incident.workspace_id))
            .where(col(Incident.id) == bindparam("id")))


def link(db: Database, incident_id: int, pagerduty_incident_id: str) -> str:
    """Remember the PagerDuty incident; the first id stored wins, and is returned.

    The link and the column are written in one transaction, under the incident's row lock,
    so two deliveries racing (a create's answer and our own trigger webhook) store one id.
    """
    if not db.sqlite:
        # One statement: the column set unless one is, and the link beside it.
        with db.statements() as connection:
            won = connection.execute(_link_first(), {
                "incident": incident_id, "pd": pagerduty_incident_id,
                "now": utcnow()}).scalar()
        if won:
            return pagerduty_incident_id
    with db.transaction() as session:
        incident = session.get(Incident, incident_id, with_for_update=True)
        if incident is None:
            return pagerduty_incident_id
        if incident.pagerduty_incident_id is None:
            incident.pagerduty_incident_id = pagerduty_incident_id
            integration_state.link_in(session, INTEGRATION, pagerduty_incident_id, kind=KIND,
                                      workspace_id=incident.workspace_id,
                                      incident_id=incident_id)
        return incident.pagerduty_incident_id


@cache
def _link_first() -> Executable:
    """PostgreSQL: `link`'s transaction as one statement; whether this call stored the id."""
    incident = Incident.__table__  # type: ignore[attr-defined]
    stored = (update(incident)
              .where(incident.c.id == bindparam("incident"),
                     incident.c.pagerduty_incident_id.is_(None))
              .values(pagerduty_incident_id=bindparam("pd"))
              .returning(incident.c.id, incident.c.workspace_id).cte("stored"))
    linked = integration_state.link_claimed(stored, INTEGRATION, KIND, "pd")
    return core_select(func.count()).select_from(stored).add_cte(linked)


def incident_for(db: Database, pagerduty_incident_id: str) -> Incident | None:
    """The Vigilo incident mirroring a PagerDuty incident, in whichever workspace: found
    through its `integration_link`, or (declared from a PagerDuty alert, the link not yet
    written when the process stopped) through the declare key it was born with."""
    found_link = integration_state.find(db, INTEGRATION, pagerduty_incident_id)
    with db.read() as session:
        if found_link is not None and found_link.incident_id is not None:
            return session.get(Incident, found_link.incident_id)
        return session.exec(select(Incident).where(
            Incident.declare_key == DECLARE_PREFIX + pagerduty_incident_id)).first()


@dataclass(frozen=True)
class Note:
    """A timeline note as it reads now (edited since it was written, or deleted)."""

    author: str
    text: str
    deleted: bool


def note(db: Database, event_id: int) -> Note | None:
    with db.read() as session:
        entry = session.get(TimelineEvent, event_id)
        if entry is None:
            return None
        return Note(entry.actor or "someone", entry.text, entry.deleted_at is not None)
