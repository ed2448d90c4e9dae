"""What an outbox claim is: the statement that takes lane heads, the lease it sets, its
renewal while the effect is being delivered, and the statement that settles it.

A claim is a lease (`locked_until`) so that a dead worker's effects are taken again. A live
worker whose handler outlasts the lease (a page to many people, each call waiting out its
timeout) must not lose the claim: another replica would deliver the same effect at the same
time, and an SMS sent twice cannot be taken back. One thread per worker renews every
in-flight claim well before it runs out; a worker that dies stops renewing, so its claims
still expire as before.
"""

import functools
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Integer,
    Row,
    bindparam,
    case,
    cast,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.expression import Executable, Select

from core.effects import CLAIMED_LATER, integration_of
from store.db import Database
from store.models import Outbox

log = logging.getLogger(__name__)

_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
# What a claimed effect is made of; `attempts` as leased (counting this attempt).
_CLAIMED = tuple(_OUTBOX.c[name] for name in ("id", "kind", "payload", "attempts",
                                               "idempotency_key", "workspace_id",
                                               "incident_id"))


def take(db: Database, now: datetime, lease: float, limit: int, skip: tuple[str, ...],
         rooms: Mapping[str, int] | None, room: int) -> list[Row[Any]]:
    """Lease up to `limit` lane heads, oldest first, none of the integrations (or, named
    with their dot, the effect kinds) in `skip`; with `rooms`, at most `rooms[integration]`
    (else `room`) of each. Each row's `attempts` counts this one."""
    until = now + timedelta(seconds=lease)
    if not db.sqlite:
        with db.statements() as connection:
            rows = connection.execute(claim_and_lease(skip, limit), {
                "now": now, "until": until, "rooms": rooms or {},
                "room": limit if rooms is None else room}).all()
        return sorted(rows, key=lambda row: row.id)
    left = dict(rooms or {})
    with db.transaction() as session:
        connection = session.connection()
        taken = []
        for row in connection.execute(claim_query(skip, limit), {"now": now}).all():
            name = integration_of(row.kind)
            if rooms is not None:
                left.setdefault(name, room)
                if left[name] <= 0:
                    continue  # locked but not leased: released when this commits
                left[name] -= 1
            taken.append(row)
        if not taken:
            return []
        return sorted(connection.execute(lease_query(), {
            "ids": [row.id for row in taken], "until": until}).all(), key=lambda row: row.id)


def claim_order(columns: Any) -> tuple[Any, ...]:
    """Oldest first, but the kinds in CLAIMED_LATER after all others, in that order."""
    later = case({kind: n for n, kind in enumerate(CLAIMED_LATER, 1)}, value=columns.kind,
                 else_=0)
    return later, columns.id


@functools.cache
def claim_query(skip: tuple[str, ...], limit: int) -> Select[Any]:
    """The lane heads that are due, oldest first. Built once per shape: building and
    cache-keying this select cost more than running it, on every wake-up of the worker."""
    outbox = _OUTBOX
    earlier = outbox.alias("earlier")
    # A lane's head is its oldest pending row. Found once for all lanes (one pass over the
    # pending rows, grouped), not as "no earlier pending row in my lane" per row: PostgreSQL
    # planned that as a nested loop over every pending row for each, and with 500 pending
    # in a burst each claim took 50 ms of the database's CPU (225,000 rows compared).
    heads = (select(func.min(earlier.c.id))
             .where(earlier.c.status == "pending", earlier.c.lane != "")
             .group_by(earlier.c.lane))
    head = or_(outbox.c.lane == "", outbox.c.id.in_(heads.scalar_subquery()))
    query = (select(outbox.c.id, outbox.c.kind, outbox.c.payload, outbox.c.attempts,
                    outbox.c.idempotency_key, outbox.c.workspace_id, outbox.c.incident_id)
             .where(outbox.c.status == "pending", outbox.c.next_attempt_at <= bindparam("now"),
                    or_(outbox.c.locked_until.is_(None),
                        outbox.c.locked_until < bindparam("now")),
                    head)
             .order_by(*claim_order(outbox.c)).limit(limit)
             .with_for_update(skip_locked=True, of=outbox))
    for name in skip:
        if "." in name:  # one kind of effect, e.g. slack.setup_channel
            query = query.where(outbox.c.kind != name)
        else:
            query = query.where(~outbox.c.kind.startswith(f"{name}."))
    return query


@functools.cache
def claim_and_lease(skip: tuple[str, ...], limit: int) -> Executable:
    """PostgreSQL, one statement (its own transaction): the lane heads `claim_query` finds,
    at most `rooms[integration]` (else `room`) of each integration, leased and returned.
    Rows over an integration's room were locked only for the statement. The two-statement
    transaction this replaces took four round trips on every wake-up of the worker."""
    heads = claim_query(skip, limit).cte("heads")
    integration = func.split_part(heads.c.kind, ".", 1)
    ranked = select(heads.c.id, integration.label("integration"),
                    func.row_number().over(partition_by=integration,
                                           order_by=claim_order(heads.c))
                    .label("n")).cte("ranked")
    room = func.coalesce(cast(cast(bindparam("rooms", type_=JSON), JSONB).op("->>")(
        ranked.c.integration), Integer), bindparam("room"))
    return (update(_OUTBOX).where(_OUTBOX.c.id == ranked.c.id, ranked.c.n <= room)
            .values(attempts=_OUTBOX.c.attempts + 1, locked_until=bindparam("until"))
            .returning(*_CLAIMED))


@functools.cache
def lease_query() -> Executable:
    return (update(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
            .values(attempts=_OUTBOX.c.attempts + 1, locked_until=bindparam("until"))
            .returning(*_CLAIMED))


@functools.cache
def renew_query() -> Executable:
    # Only claims still held: a row settled meanwhile has locked_until cleared and stays so.
    return (update(_OUTBOX)
            .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
                   _OUTBOX.c.status == "pending", _OUTBOX.c.locked_until.is_not(None))
            .values(locked_until=bindparam("until")))


# Settling a delivery in one round trip on PostgreSQL: the row's new state and its
# integration-log line in one statement, with no transaction around it (it is its own). The
# ORM's way (BEGIN, SELECT, UPDATE, INSERT, COMMIT) was five, once per effect.
SETTLE = text(
    "WITH settled AS (UPDATE outbox SET status = :status, locked_until = NULL,"
    " backing_off = :backing_off,"
    " delivered_at = CASE WHEN :ok THEN CAST(:now AS timestamptz) ELSE delivered_at END,"
    " last_error = CASE WHEN :ok THEN NULL ELSE CAST(:error AS text) END,"
    " next_attempt_at = COALESCE(CAST(:next_at AS timestamptz), next_attempt_at)"
    " WHERE id = :id RETURNING id, workspace_id, incident_id) "
    "INSERT INTO integrationlog (workspace_id, integration, direction, incident_id, kind,"
    " outbox_id, ok, detail, at) SELECT workspace_id, :integration, 'out', incident_id,"
    " :kind, id, :ok, :detail, :now FROM settled")


class LeaseKeeper:
    def __init__(self, db: Database, lease: float, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.lease = lease
        self.clock = clock
        self._held: dict[int, int] = {}  # effect id -> deliveries of it in this process
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, effect_id: int) -> None:
        with self._lock:
            self._held[effect_id] = self._held.get(effect_id, 0) + 1

    def release(self, effect_id: int) -> None:
        with self._lock:
            left = self._held.pop(effect_id, 1) - 1
            if left > 0:
                self._held[effect_id] = left

    def renew(self) -> int:
        """Push every held claim a whole lease ahead; returns how many were held."""
        with self._lock:
            ids = list(self._held)
        if ids:
            with self.db.transaction() as session:
                session.connection().execute(renew_query(), {
                    "ids": ids, "until": self.clock() + timedelta(seconds=self.lease)})
        return len(ids)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="vigilo-outbox-leases",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _run(self) -> None:
        # A third of the lease: two renewals may fail (database briefly away) before it ends.
        while not self._stop.wait(self.lease / 3):
            try:
                self.renew()
            except Exception as error:
                log.warning("could not renew outbox claims: %s", error)
