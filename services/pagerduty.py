"""What the PagerDuty integration reads and writes through: the incident it mirrors, and
the link to PagerDuty's incident id (kept on the incident, as the seed's JSON promises)."""

from dataclasses import dataclass

from sqlmodel import select

from core.keys import format_key
from core.severity import Severity
from store.db import Database
from store.models import Incident, Workspace

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
        row = session.exec(select(Incident, Workspace.slug).join(
            Workspace, Workspace.id == Incident.workspace_id).where(  # type: ignore[arg-type]
            Incident.id == incident_id)).first()
    if row is None:
        return None
    incident, slug = row
    pd_id = incident.pagerduty_incident_id
    if pd_id is None and (incident.declare_key or "").startswith(DECLARE_PREFIX):
        pd_id = (incident.declare_key or "")[len(DECLARE_PREFIX):]
    return Mirror(incident.id or 0, incident.workspace_id, slug, format_key(incident.number),
                  incident.title, Severity(incident.severity), incident.status, pd_id)


def link(db: Database, incident_id: int, pagerduty_incident_id: str) -> str:
    """Remember the PagerDuty incident; the first id stored wins, and is returned."""
    with db.transaction() as session:
        incident = session.get(Incident, incident_id, with_for_update=True)
        if incident is None:
            return pagerduty_incident_id
        if incident.pagerduty_incident_id is None:
            incident.pagerduty_incident_id = pagerduty_incident_id
        return incident.pagerduty_incident_id


def incident_for(db: Database, pagerduty_incident_id: str) -> Incident | None:
    """The Vigilo incident mirroring a PagerDuty incident, in whichever workspace."""
    with db.read() as session:
        found = session.exec(select(Incident).where(
            Incident.pagerduty_incident_id == pagerduty_incident_id)).first()
        if found is None:
            found = session.exec(select(Incident).where(
                Incident.declare_key == DECLARE_PREFIX + pagerduty_incident_id)).first()
        return found
