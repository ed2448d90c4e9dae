"""SMS paging's bookkeeping: who to text for an incident, one row per person per trigger
(claimed before Twilio is asked), Twilio's answers and status callbacks, and telling the
commander in the incident channel when a page does not go out."""

import secrets
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Executable, bindparam, update
from sqlalchemy import select as core_select
from sqlmodel import col, select

from core.events import PageProblem, PageStatus
from core.keys import format_key
from core.permissions import Role
from core.severity import Severity
from services import changes, oncall
from services.actor import Actor
from services.oncall import Person
from services.records import insert_values, values_of
from store.db import Database
from store.models import Incident, Member, Workspace
from store.paging_models import SmsPage
from store.types import utcnow

FAILED = frozenset({"failed", "undelivered"})
STATUSES = frozenset({"queued", "sending", "sent", "delivered", "failed", "undelivered",
                      "accepted", "scheduled", "canceled", "read"})


@dataclass(frozen=True)
class PageFacts:
    incident_id: int
    workspace_id: int
    workspace_slug: str
    key: str
    title: str
    severity: Severity
    status: str


@dataclass(frozen=True)
class Claim:
    row_id: int
    marker: str
    status: str  # "new" when this attempt must send; else what an earlier one recorded
    sid: str | None


def page_facts(db: Database, incident_id: int) -> PageFacts | None:
    with db.read() as session:
        row = session.execute(_facts_query(), {"id": incident_id}).first()
    if row is None:
        return None
    return PageFacts(row.id, row.workspace_id, row.slug, format_key(row.number), row.title,
                     Severity(row.severity), row.status)


@cache
def _facts_query() -> Executable:
    # Columns, not the ORM row, by a statement built once: read for every page.
    return (core_select(col(Incident.id), col(Incident.workspace_id), col(Workspace.slug),
                        col(Incident.number), col(Incident.title), col(Incident.severity),
                        col(Incident.status))
            .join(Workspace, col(Workspace.id) == col(Incident.workspace_id))
            .where(col(Incident.id) == bindparam("id")))


def on_call(db: Database, workspace_id: int) -> tuple[list[tuple[str, Person]], list[str]]:
    return oncall.on_call_now(db, workspace_id)


def claim(db: Database, facts: PageFacts, trigger: str, person: Person) -> Claim:
    """This person's page for this trigger: new (send it) or what was recorded before."""
    row = values_of(SmsPage, workspace_id=facts.workspace_id, incident_id=facts.incident_id,
                    trigger=trigger, member_id=person.member_id, phone=person.phone or "",
                    marker=secrets.token_hex(2))
    # One statement: the unique (trigger, member) index answers a repeat, no error raised.
    with db.statements() as connection:
        made = insert_values(connection, SmsPage, row, "trigger", "member_id")
    if made is not None:
        return Claim(made, row["marker"], "new", None)
    with db.read() as session:
        found = session.exec(select(SmsPage).where(SmsPage.trigger == trigger,
                                                   SmsPage.member_id == person.member_id)
                             ).one()
        return Claim(found.id or 0, found.marker, found.status, found.sid)


def accepted(db: Database, row_id: int, sid: str, status: str) -> None:
    """Twilio took the message: recorded before anything else can retry it."""
    with db.statements() as connection:  # one UPDATE (its row lock) is the whole change
        connection.execute(update(SmsPage).where(col(SmsPage.id) == row_id).values(
            sid=sid, status=status[:16], updated_at=utcnow()))


def refused(db: Database, facts: PageFacts, row_id: int, person: Person, reason: str) -> None:
    """Twilio refused the message for good: marked failed, and the commander told."""
    with db.transaction() as session:
        row = session.get(SmsPage, row_id, with_for_update=True)
        if row is not None:
            row.status, row.error, row.updated_at = "failed", reason[:2000], utcnow()
    problem(db, facts, reason, person.name)


def problem(db: Database, facts: PageFacts, reason: str, member: str | None = None) -> None:
    """Tell the commander, in the incident channel and on the timeline, that a page did not
    go out and why."""
    actor = Actor(facts.workspace_id, None, "SMS paging", Role.OWNER, "twilio")
    with db.transaction() as session:
        incident = session.get(Incident, facts.incident_id, with_for_update=True)
        if incident is None:
            return
        who = f" to {member}" if member else ""
        changes.record(session, actor, changes.event(PageProblem, actor, incident,
                                                     reason=reason, member=member),
                       f"SMS page{who} did not go out: {reason}", incident=incident,
                       payload={"reason": reason, "member": member})


def status_callback(db: Database, sid: str, status: str,
                    error_code: str | None = None) -> str:
    """A Twilio status callback: the page's new status on the timeline (and the commander
    told when it failed). Unknown sids and repeats change nothing."""
    status = status.strip().lower()
    if status not in STATUSES:
        return f"unknown status {status[:20]!r}: ignored"
    with db.transaction() as session:
        row = session.exec(select(SmsPage).where(SmsPage.sid == sid).with_for_update()).first()
        if row is None:
            return f"unknown message {sid[:40]}: ignored"
        if row.status == status or row.status in FAILED | {"delivered"}:
            return f"{sid}: already {row.status}"
        row.status, row.updated_at = status, utcnow()
        if error_code:
            row.error = f"Twilio error {error_code[:20]}"
        incident = session.get(Incident, row.incident_id, with_for_update=True)
        member = session.get(Member, row.member_id)
        assert incident is not None
        name = member.display_name if member is not None else "the on-call"
        actor = Actor(row.workspace_id, None, "Twilio", Role.OWNER, "twilio")
        if status in FAILED:
            reason = f"Twilio says {status}" + (f" (error {error_code})" if error_code else "")
            changes.record(session, actor, changes.event(PageProblem, actor, incident,
                                                         reason=reason, member=name),
                           f"SMS page to {name} {status}: {reason}", incident=incident,
                           payload={"sid": sid, "status": status, "error_code": error_code})
        else:
            changes.record(session, actor, changes.event(PageStatus, actor, incident,
                                                         member=name, status=status),
                           f"SMS page to {name}: {status}", incident=incident,
                           payload={"sid": sid, "status": status})
        return f"{sid}: {status}"
