"""A new incident and its first timeline entry in one statement, on PostgreSQL.

A declaration wrote the incident (for its id), then the timeline entry (for its id, which
the effects carry), then read the workspace's settings (for the policies): three round
trips, each one more wait for the interpreter lock in a burst. Here one statement INSERTs
both rows and answers their ids with the settings; the rest of the declaration goes out
with the COMMIT (store.deferred, store.db.commit_returning).
"""

import secrets
from dataclasses import replace
from functools import cache
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from core.events import Declared
from core.keys import format_key
from core.validation import WorkspaceSettings
from services import changes
from services.actor import Actor
from services.records import new_event, row_values
from store.db import commit_returning
from store.deferred import as_jsonb
from store.models import Incident, TimelineEvent, Workspace


def _insert_declared(session: Session, incident: Incident, entry: TimelineEvent
                     ) -> WorkspaceSettings:
    """INSERT `incident` and `entry` (its incident_id left to this statement); both get
    their ids. The workspace's settings, as read in the same statement."""
    row = row_values(incident)
    said = {name: value for name, value in row_values(entry).items() if name != "incident_id"}
    found = session.connection().exec_driver_sql(_statement(tuple(row), tuple(said)), {
        "incident": as_jsonb(row), "entry": as_jsonb(said),
        "workspace_id": incident.workspace_id}).one()
    incident.id, entry.id, entry.incident_id = found[0], found[1], found[0]
    return WorkspaceSettings.from_json(found[2])


def first_entry(session: Session, actor: Actor, incident: Incident, said: tuple[str, str],
                 payload: dict[str, Any], detail: dict[str, Any]) -> TimelineEvent:
    """The incident, its "declared" entry, the audit row and the effects, by the one way a
    change is recorded; on PostgreSQL the two rows and the settings in one statement."""
    text = format_key(incident.number).join(said)
    if session.get_bind().dialect.name != "postgresql":
        session.add(incident)
        session.flush()
        entry = changes.record(session, actor, changes.event(Declared, actor, incident), text,
                               incident=incident, payload=payload, detail=detail)
        assert entry is not None
        return entry
    entry = new_event(0, actor, Declared.label, text, payload=payload)
    settings = _insert_declared(session, incident, entry)
    change = replace(changes.event(Declared, actor, incident), event_id=entry.id)
    changes.recorded(session, actor, change, incident, detail, settings)
    return entry


def placeholder() -> int:
    """A number no committed incident has, held only until `number_last` replaces it.

    Negative, so never a real key; random, so concurrent declarations do not queue on the
    unique (workspace, number) index (two equal ones would only wait, never fail).
    """
    return -1 - secrets.randbelow(2**31 - 1)


def number_last(session: Session, incident: Incident, entry: TimelineEvent,
                 said: tuple[str, str]) -> None:
    """Take the next number in the transaction's last statement; the timeline entry says
    `said[0] + key + said[1]`.

    The UPDATE takes the workspace row lock until commit, so concurrent declarations queue
    on it and a rolled-back one gives its number back: no duplicates, no gaps. Taken last,
    the lock covers one statement and the commit instead of the whole declaration: in a
    burst, declarations wait on it one after another (bench/bench_declare_to_channel.py).
    On PostgreSQL the statement and the COMMIT are one round trip (store.db.commit_returning).
    """
    session.flush()  # everything else is written: the commit has nothing left to flush
    ids = {"workspace_id": incident.workspace_id, "incident_id": incident.id,
           "event_id": entry.id}
    if session.get_bind().dialect.name == "postgresql":
        number = int(commit_returning(session, _TAKE_NUMBER, {**ids, "before": said[0],
                                                              "after": said[1]})[0])
    else:  # SQLite: the transaction holds the database's one write lock from its start
        number = int(session.execute(
            update(Workspace).where(col(Workspace.id) == incident.workspace_id)
            .values(last_incident_number=col(Workspace.last_incident_number) + 1)
            .returning(col(Workspace.last_incident_number))).scalar_one())
        session.execute(update(Incident).where(col(Incident.id) == incident.id)
                        .values(number=number).execution_options(synchronize_session=False))
        session.execute(update(TimelineEvent).where(col(TimelineEvent.id) == entry.id)
                        .values(text=format_key(number).join(said))
                        .execution_options(synchronize_session=False))
    set_committed_value(incident, "number", number)
    set_committed_value(entry, "text", format_key(number).join(said))


# One round trip under the lock. The key is spelt as core.keys.format_key spells it
# (INC-0042, INC-12345); tests/test_concurrency.py compares the two.
_TAKE_NUMBER = """
WITH n AS (
    UPDATE workspace SET last_incident_number = last_incident_number + 1
    WHERE id = %(workspace_id)s RETURNING last_incident_number AS number),
i AS (
    UPDATE incident SET number = n.number FROM n WHERE incident.id = %(incident_id)s
    RETURNING incident.number)
UPDATE timelineevent SET text = %(before)s || 'INC-' || CASE WHEN i.number < 10000
    THEN lpad(i.number::text, 4, '0') ELSE i.number::text END || %(after)s
FROM i WHERE timelineevent.id = %(event_id)s
RETURNING i.number"""


@cache
def _statement(incident: tuple[str, ...], entry: tuple[str, ...]) -> str:
    def listed(columns: tuple[str, ...], prefix: str = "") -> str:
        return ", ".join(f'{prefix}"{column}"' for column in columns)

    return (
        f"WITH made AS (INSERT INTO incident ({listed(incident)}) SELECT {listed(incident)}"
        " FROM jsonb_populate_record(NULL::incident, %(incident)s) RETURNING id),"
        f" said AS (INSERT INTO timelineevent (incident_id, {listed(entry)})"
        f" SELECT made.id, {listed(entry, 'e.')} FROM made,"
        " jsonb_populate_record(NULL::timelineevent, %(entry)s) AS e RETURNING id)"
        " SELECT made.id, said.id, (SELECT settings FROM workspace"
        " WHERE id = %(workspace_id)s) FROM made, said")
