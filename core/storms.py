"""Incident storms (WD.8): several related incidents declared close together.

Incidents are related when they share a grouping key: an affected service, a tag or an
asset, written `service:checkout`, `tag:db`, `asset:eu-west-1`. A detection pass is pure: it
gets the recent incidents that are in no storm yet and the open storms, and says which
storms to create and which incidents join which open storm. Running it again on its own
result asks for nothing more, which is what makes the scheduler job idempotent.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MIN_MEMBERS = 3
DEFAULT_WINDOW = timedelta(minutes=30)
QUIET_TO_RESOLVE = timedelta(hours=1)  # no new member for this long: the storm is over


def grouping_keys(services: Iterable[str] = (), tags: Iterable[str] = (),
                  assets: Iterable[str] = ()) -> frozenset[str]:
    """The keys an incident can be grouped by; names compare without case or spacing."""
    keys: set[str] = set()
    for kind, names in (("service", services), ("tag", tags), ("asset", assets)):
        for name in names:
            norm = " ".join(str(name).lower().split())
            if norm:
                keys.add(f"{kind}:{norm}")
    return frozenset(keys)


def describe_key(key: str) -> str:
    """`service:checkout` → `service checkout`, for people."""
    kind, _, name = key.partition(":")
    return f"{kind} {name}" if name else key


@dataclass(frozen=True)
class Candidate:
    """An incident that may group: its id, when it was detected, its grouping keys."""

    id: int
    detected_at: datetime
    keys: frozenset[str]


@dataclass(frozen=True)
class OpenStorm:
    id: int
    reason: str  # the grouping key that formed it, kept for its whole life
    started_at: datetime


@dataclass(frozen=True)
class NewStorm:
    reason: str
    member_ids: tuple[int, ...]  # by detection time
    started_at: datetime
    last_member_at: datetime


@dataclass(frozen=True)
class Plan:
    new: tuple[NewStorm, ...] = ()
    joins: dict[int, tuple[int, ...]] = field(default_factory=dict)  # storm id → incidents

    @property
    def empty(self) -> bool:
        return not self.new and not self.joins


def plan(candidates: Sequence[Candidate], open_storms: Sequence[OpenStorm], *,
         window: timedelta = DEFAULT_WINDOW, minimum: int = MIN_MEMBERS) -> Plan:
    """What one detection pass changes. `candidates` are incidents in no storm yet.

    A candidate sharing an open storm's reason, detected no earlier than a window before the
    storm began, joins it (the oldest such storm when several match). The rest form new
    storms: for each key, the largest set of candidates detected within one window; the
    largest groups are taken first and an incident goes to one storm only.
    """
    by_reason: dict[str, OpenStorm] = {}
    for open_storm in sorted(open_storms, key=lambda s: (s.started_at, s.id)):
        by_reason.setdefault(open_storm.reason, open_storm)
    # Timestamps as floats: comparing datetimes costs several times more at this size.
    # Ids are unique, so tuple order never falls through to comparing candidates.
    timed = sorted((c.detected_at.timestamp(), c.id, c) for c in candidates)
    joins: dict[int, list[int]] = defaultdict(list)
    loose = timed
    if by_reason:
        loose = []
        for row in timed:
            storm = _storm_for(row[2], by_reason, window)
            if storm is None:
                loose.append(row)
            else:
                joins[storm.id].append(row[1])
    return Plan(new=tuple(_new_storms(loose, set(by_reason), window.total_seconds(),
                                      minimum)),
                joins={sid: tuple(ids) for sid, ids in joins.items()})


def _storm_for(incident: Candidate, by_reason: dict[str, OpenStorm],
               window: timedelta) -> OpenStorm | None:
    best: OpenStorm | None = None
    for key in incident.keys:
        found = by_reason.get(key)
        if found is None or incident.detected_at < found.started_at - window:
            continue
        if best is None or (found.started_at, found.id) < (best.started_at, best.id):
            best = found
    return best


Timed = tuple[float, int, Candidate]


def _new_storms(loose: list[Timed], taken_reasons: set[str], window: float,
                minimum: int) -> list[NewStorm]:
    by_key: dict[str, list[Timed]] = defaultdict(list)
    for row in loose:  # already in detection order
        for key in row[2].keys:
            by_key[key].append(row)
    groups: list[tuple[str, list[Timed]]] = []
    for key, members in by_key.items():
        if len(members) >= minimum and key not in taken_reasons:
            best = _densest(members, window)
            if len(best) >= minimum:
                groups.append((key, best))
    groups.sort(key=lambda g: (-len(g[1]), g[1][0][0], g[0]))
    used: set[int] = set()
    out: list[NewStorm] = []
    for key, members in groups:
        free = [m for m in members if m[1] not in used]
        if len(free) < minimum:
            continue
        used.update(m[1] for m in free)
        out.append(NewStorm(reason=key, member_ids=tuple(m[1] for m in free),
                            started_at=free[0][2].detected_at,
                            last_member_at=free[-1][2].detected_at))
    return out


def _densest(members: list[Timed], window: float) -> list[Timed]:
    """The largest run of members (sorted by time) that fits in one window; earliest wins."""
    times = [m[0] for m in members]
    best_start, best_len = 0, 0
    for start, at in enumerate(times):
        length = bisect_right(times, at + window, start) - start
        if length > best_len:
            best_start, best_len = start, length
    return members[best_start:best_start + best_len]


def expired(last_member_at: datetime, now: datetime,
            quiet: timedelta = QUIET_TO_RESOLVE) -> bool:
    """A storm resolves itself once no new member joined for `quiet`."""
    return now - last_member_at >= quiet


def common_keys(members: Sequence[frozenset[str]]) -> list[str]:
    """Keys every member shares, for the storm page: what grouped them."""
    if not members:
        return []
    shared = set(members[0])
    for keys in members[1:]:
        shared &= keys
    return sorted(shared)


def banner_text(count: int, window: timedelta) -> str:
    """The seed's words: "5 related incidents in the last 30 minutes — possible storm."""
    minutes = int(window.total_seconds() // 60)
    span = f"{minutes} minutes" if minutes % 60 else (
        "hour" if minutes == 60 else f"{minutes // 60} hours")
    return f"{count} related incidents in the last {span} — possible storm."
