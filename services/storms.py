"""Incident storms: detection and auto-resolve (scheduler jobs), Acknowledge all, resolve.

Jobs take `now` so tests control time. Each workspace's pass is one transaction that first
locks the workspace row, so two replicas running the same pass queue behind each other and
the second finds nothing left to do; the member table's unique incident id backs that up.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select as core_select
from sqlalchemy import update
from sqlmodel import Session, col, select

from core import storms as rules
from core.errors import InvalidInput, NotFound
from core.events import CommanderChanged, StatusChanged
from core.fsm import Move, Status, apply_move
from core.insight_events import StormAcknowledged, StormJoined, StormResolved
from core.keys import format_key
from core.permissions import Action, ResponderRole, Role
from core.validation import WorkspaceSettings
from services import changes
from services.actor import Actor
from services.records import authorize, load_member, touch
from store.db import Database
from store.insight_models import IncidentStorm, IncidentStormMember
from store.models import Incident, IncidentResponder, Workspace
from store.types import pk

OPEN, RESOLVED = "open", "resolved"


def scheduler_actor(workspace_id: int) -> Actor:
    return Actor(workspace_id, None, "Vigilo", Role.OWNER, "scheduler")


@dataclass(frozen=True)
class PassResult:
    created: int = 0  # storms
    joined: int = 0  # incidents added to storms, new or open

    def __add__(self, other: "PassResult") -> "PassResult":
        return PassResult(self.created + other.created, self.joined + other.joined)


def detect(db: Database, now: datetime) -> PassResult:
    """One detection pass over every workspace with incidents detected in its window."""
    with db.read() as session:
        rows = session.exec(select(Workspace.id, Workspace.settings)).all()
    total = PassResult()
    for workspace_id, raw in rows:
        window = _window(dict(raw or {}))
        with db.read() as session:
            recent = session.exec(select(Incident.id).where(
                Incident.workspace_id == workspace_id,
                col(Incident.detected_at) >= now - window,
                col(Incident.detected_at) <= now).limit(1)).first()
        if recent is not None:
            total = total + detect_workspace(db, int(workspace_id or 0), now)
    return total


def _window(raw: dict[str, Any] | None) -> timedelta:
    return timedelta(minutes=WorkspaceSettings.from_json(raw).storm_window_minutes)


def detect_workspace(db: Database, workspace_id: int, now: datetime) -> PassResult:
    with db.transaction() as session:
        _lock_workspace(session, workspace_id)
        window = timedelta(minutes=changes.settings_of(session, workspace_id)
                           .storm_window_minutes)
        in_storm = core_select(col(IncidentStormMember.incident_id))
        rows = session.exec(select(Incident).where(
            Incident.workspace_id == workspace_id, col(Incident.detected_at) >= now - window,
            col(Incident.detected_at) <= now, col(Incident.id).not_in(in_storm))).all()
        if not rows:
            return PassResult()
        by_id = {pk(i): i for i in rows}
        open_storms = session.exec(select(IncidentStorm).where(
            IncidentStorm.workspace_id == workspace_id, IncidentStorm.status == OPEN)).all()
        plan = rules.plan(
            [rules.Candidate(pk(i), i.detected_at, rules.grouping_keys(i.services or []))
             for i in rows],
            [rules.OpenStorm(pk(s), s.reason, s.started_at) for s in open_storms],
            window=window)
        actor = scheduler_actor(workspace_id)
        joined = 0
        for new in plan.new:
            storm = IncidentStorm(workspace_id=workspace_id, reason=new.reason, status=OPEN,
                                  started_at=new.started_at, last_member_at=new.last_member_at,
                                  created_at=now)
            session.add(storm)
            session.flush()
            joined += _add_members(session, actor, storm, [by_id[i] for i in new.member_ids],
                                   now, created=True)
        storms = {pk(s): s for s in open_storms}
        for storm_id, ids in plan.joins.items():
            joined += _add_members(session, actor, storms[storm_id], [by_id[i] for i in ids],
                                   now, created=False)
        return PassResult(len(plan.new), joined)


def _lock_workspace(session: Session, workspace_id: int) -> None:
    # A no-op UPDATE takes the row lock on PostgreSQL (SQLite's BEGIN IMMEDIATE already
    # serializes writers): concurrent passes of one workspace run one after the other.
    session.execute(update(Workspace).where(col(Workspace.id) == workspace_id)
                    .values(last_change_number=col(Workspace.last_change_number)))


def _add_members(session: Session, actor: Actor, storm: IncidentStorm,
                 incidents: list[Incident], now: datetime, *, created: bool) -> int:
    count = session.exec(select(IncidentStormMember.id).where(
        IncidentStormMember.storm_id == storm.id)).all()
    size = len(count)
    for incident in incidents:
        session.add(IncidentStormMember(storm_id=pk(storm), incident_id=pk(incident),
                                        joined_at=now))
        size += 1
        if incident.detected_at > storm.last_member_at:
            storm.last_member_at = incident.detected_at
    reason = rules.describe_key(storm.reason)
    for incident in incidents:
        changes.record(session, actor, changes.event(
            StormJoined, actor, incident, storm_id=pk(storm), reason=storm.reason,
            members=size, created=created),
            f"Part of incident storm #{storm.id}: {size} related incidents ({reason})",
            incident=incident, payload={"storm_id": storm.id, "reason": storm.reason},
            detail={"storm_id": storm.id})
    return len(incidents)


def auto_resolve(db: Database, now: datetime,
                 quiet: timedelta = rules.QUIET_TO_RESOLVE) -> int:
    """Storms with no new member for an hour resolve themselves; how many did now."""
    with db.read() as session:
        due = session.exec(select(IncidentStorm.id).where(
            IncidentStorm.status == OPEN, col(IncidentStorm.last_member_at) <= now - quiet)).all()
    done = 0
    for storm_id in due:
        with db.transaction() as session:
            storm = _locked(session, int(storm_id or 0))
            if storm is None or storm.status != OPEN or not rules.expired(
                    storm.last_member_at, now, quiet):
                continue  # another replica got there, or a member joined meanwhile
            _close(session, scheduler_actor(storm.workspace_id), storm, now, automatic=True)
            done += 1
    return done


def _locked(session: Session, storm_id: int) -> IncidentStorm | None:
    return session.exec(select(IncidentStorm).where(IncidentStorm.id == storm_id)
                        .with_for_update()).first()


def _close(session: Session, actor: Actor, storm: IncidentStorm, now: datetime, *,
           automatic: bool) -> None:
    storm.status = RESOLVED
    storm.resolved_at = now
    storm.resolved_by = actor.name
    changes.record(session, actor, changes.event(StormResolved, actor, storm_id=pk(storm),
                                                 automatic=automatic), "",
                   detail={"storm_id": storm.id, "automatic": automatic})


def _load(session: Session, workspace_id: int, storm_id: int) -> IncidentStorm:
    storm = _locked(session, storm_id)
    if storm is None or storm.workspace_id != workspace_id:
        raise NotFound(f"No storm #{storm_id} in this workspace.", field="storm")
    return storm


def resolve(db: Database, actor: Actor, storm_id: int, now: datetime) -> IncidentStorm:
    """Admins end a storm by hand (`/vigilo storm resolve`, the Resolve storm button)."""
    with db.transaction() as session:
        authorize(actor, Action.FORCE_TRANSITION)
        storm = _load(session, actor.workspace_id, storm_id)
        if storm.status != OPEN:
            raise InvalidInput(f"Storm #{storm_id} is already resolved.", field="storm")
        _close(session, actor, storm, now, automatic=False)
        return storm


@dataclass(frozen=True)
class AckResult:
    storm: IncidentStorm
    commanded: tuple[str, ...]  # incident keys now commanded by the acknowledger
    investigating: tuple[str, ...]  # of those, the ones moved from open


def acknowledge_all(db: Database, actor: Actor, storm_id: int, now: datetime) -> AckResult:
    """The acknowledger commands every member; open members move to investigating. One
    transaction: either every member changes or none does."""
    if actor.member_id is None:
        raise InvalidInput("Only a workspace member can acknowledge a storm: they become "
                           "its commander.", field="member")
    with db.transaction() as session:
        storm = _load(session, actor.workspace_id, storm_id)
        if storm.status != OPEN:
            raise InvalidInput(f"Storm #{storm_id} is resolved; nothing to acknowledge.",
                               field="storm")
        me = load_member(session, actor.workspace_id, actor.member_id)
        members = session.exec(select(Incident).join(
            IncidentStormMember, col(IncidentStormMember.incident_id) == col(Incident.id))
            .where(IncidentStormMember.storm_id == storm.id).order_by(col(Incident.number))
            .with_for_update(of=Incident)).all()
        commanded: list[str] = []
        moved: list[str] = []
        for incident in members:
            if incident.status not in (Status.OPEN, Status.INVESTIGATING, Status.MITIGATED):
                continue
            authorize(actor, Action.TRANSITION, incident)
            key = format_key(incident.number)
            joined = _make_commander(session, actor, incident, me.display_name)
            if joined is not None:
                changes.record(session, actor, joined, f"{actor.name} made {me.display_name} "
                               "the incident commander (storm acknowledged)",
                               incident=incident, payload={"to": actor.member_id},
                               detail={"new": actor.member_id})
            went = incident.status == Status.OPEN
            if went:
                _investigate(session, actor, incident, now)
                moved.append(key)
            commanded.append(key)
            changes.record(session, actor, changes.event(
                StormAcknowledged, actor, incident, storm_id=pk(storm),
                commander_id=actor.member_id, commander_name=me.display_name,
                moved_to_investigating=went),
                f"{actor.name} acknowledged storm #{storm.id}", incident=incident,
                payload={"storm_id": storm.id}, detail={"storm_id": storm.id})
        storm.acknowledged_by_id = actor.member_id
        storm.acknowledged_at = now
        return AckResult(storm, tuple(commanded), tuple(moved))


def _make_commander(session: Session, actor: Actor, incident: Incident,
                    name: str) -> CommanderChanged | None:
    """Make the actor the commander; the event to record, or None when they already were."""
    member_id = actor.member_id or 0
    previous = incident.commander_id
    if previous == member_id:
        return None
    rows = {r.member_id: r for r in session.exec(select(IncidentResponder).where(
        IncidentResponder.incident_id == incident.id))}
    if previous is not None and previous in rows:
        rows[previous].role = ResponderRole.RESPONDER.value
    row = rows.get(member_id)
    joined = row is None
    if row is None:
        row = IncidentResponder(incident_id=pk(incident), member_id=member_id)
        session.add(row)
    row.role = ResponderRole.COMMANDER.value
    incident.commander_id = member_id
    touch(incident)
    return changes.event(CommanderChanged, actor, incident, old_id=previous, new_id=member_id,
                         new_name=name, joined=joined)


def _investigate(session: Session, actor: Actor, incident: Incident, now: datetime) -> None:
    step = apply_move(Status(incident.status), Move.INVESTIGATE)
    incident.status = step.target.value
    incident.investigating_at = now
    touch(incident)
    changes.record(session, actor, changes.event(
        StatusChanged, actor, incident, old=Status.OPEN, new=step.target, move=Move.INVESTIGATE),
        f"{actor.name}: {step.verb} (open → {step.target.value}), storm acknowledged",
        incident=incident, payload={"from": Status.OPEN, "to": step.target,
                                    "move": Move.INVESTIGATE},
        detail={"old": Status.OPEN, "new": step.target})
