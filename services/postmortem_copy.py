"""The postmortem's copy of the incident's timeline (T1.9), built by the database.

On PostgreSQL and SQLite one UPDATE builds the JSON array from the timeline rows, so a
10,000-event copy never becomes 10,000 Python objects; elsewhere the rows are read and
serialized here. Either way an entry is `{id, at, source, label, actor, text, payload}`
with `at` in ISO 8601 UTC, oldest first, without deleted entries or hidden ones.
"""

from typing import Any

from sqlalchemy import func, select, text, update
from sqlmodel import Session

from store.models import Postmortem, TimelineEvent

_COPIED = ("id", "at", "source", "label", "actor", "text", "payload")
_WHERE = ("incident_id = :incident AND deleted_at IS NULL "
          "AND hidden_from_postmortem = {false}")
_POSTGRES = text(
    "UPDATE postmortem SET timeline = (SELECT coalesce(json_agg(json_build_object("
    "'id', id, 'at', to_char(at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'), 'source', source, 'label', label, "
    "'actor', actor, 'text', text, 'payload', payload) ORDER BY at, id), '[]'::json) "
    f"FROM timelineevent WHERE {_WHERE.format(false='false')}) WHERE id = :postmortem")
_SQLITE = text(
    # json() marks each object as JSON again, or json_group_array would quote it.
    "UPDATE postmortem SET timeline = (SELECT coalesce(json_group_array(json(entry)), '[]') "
    "FROM (SELECT json_object('id', id, 'at', replace(at, ' ', 'T') || '+00:00', "
    "'source', source, 'label', label, 'actor', actor, 'text', text, "
    "'payload', json(payload)) AS entry "
    f"FROM timelineevent WHERE {_WHERE.format(false='0')} ORDER BY at, id)) "
    "WHERE id = :postmortem")


def write_copy(session: Session, postmortem_id: int, incident_id: int) -> int:
    """(Re)write the copy from the timeline as it is now; how many entries it holds."""
    session.flush()
    connection = session.connection()
    dialect = connection.dialect.name
    params = {"incident": incident_id, "postmortem": postmortem_id}
    if dialect == "postgresql":
        connection.execute(_POSTGRES, params)
    elif dialect == "sqlite":
        connection.execute(_SQLITE, params)
    else:
        connection.execute(update(Postmortem).where(Postmortem.id == postmortem_id)  # type: ignore[arg-type]
                           .values(timeline=_rows(session, incident_id)))
    table = Postmortem.__table__  # type: ignore[attr-defined]
    return int(connection.execute(select(func.json_array_length(table.c.timeline))
                                  .where(table.c.id == postmortem_id)).scalar() or 0)


def _rows(session: Session, incident_id: int) -> list[dict[str, Any]]:
    table = TimelineEvent.__table__  # type: ignore[attr-defined]
    rows = session.connection().execute(
        select(*(table.c[name] for name in _COPIED))
        .where(table.c.incident_id == incident_id, table.c.deleted_at.is_(None),
               table.c.hidden_from_postmortem.is_(False))
        .order_by(table.c.at, table.c.id)).all()
    return [{"id": r[0], "at": r[1].isoformat(), "source": r[2], "label": r[3],
             "actor": r[4], "text": r[5], "payload": r[6]} for r in rows]
