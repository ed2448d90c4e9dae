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
from itertools import islice
from operator import attrgetter, lt

MIN_MEMBERS = 3
DEFAULT_WINDOW = timedelta(minutes=30)
QUIET_TO_RESOLVE = timedelta(hours=1)  # no new member for this long: the storm is over
_DETECTED, _ID = attrgetter("detected_at"), attrgetter("id")


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


@dataclass(frozen=True, slots=True)  # slots: read 100,000 times in a pass
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
    # Timestamps as floats in one list, incidents as indices into it: comparing datetimes,
    # or allocating a tuple per incident (which wakes the garbage collector over every
    # object alive), costs several times more at this size. Nothing is sorted as a whole:
    # each key's members are, which is all the windows need and much less work.
    stamps = list(map(datetime.timestamp, map(_DETECTED, candidates)))
    ids = list(map(_ID, candidates))
    joins: dict[int, list[int]] = defaultdict(list)
    loose: Iterable[int] = range(len(candidates))
    if by_reason:
        left = []
        for i, candidate in enumerate(candidates):
            storm = _storm_for(candidate, by_reason, window)
            if storm is None:
                left.append(i)
            else:
                joins[storm.id].append(i)
        loose = left
    # Indices are in id order already when the ids increase (as the database returns
    # them): then one stable sort by time gives time-then-id order.
    by_id = all(map(lt, ids, islice(ids, 1, None)))
    found = _new_storms(candidates, stamps, ids, by_id, loose, set(by_reason),
                        window.total_seconds(), minimum)
    return Plan(new=tuple(found), joins={
        sid: tuple(ids[i] for i in _by_time(idx, stamps, ids, by_id))
        for sid, idx in joins.items()})


def _by_time(indices: list[int], stamps: list[float], ids: list[int],
             by_id: bool) -> list[int]:
    """Sorted in place by detection time, then id (stable sorts, no tuple per item)."""
    if not by_id:
        indices.sort(key=ids.__getitem__)
    indices.sort(key=stamps.__getitem__)
    return indices


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


def _new_storms(candidates: Sequence[Candidate], stamps: list[float], ids: list[int],
                by_id: bool, loose: Iterable[int], taken_reasons: set[str], window: float,
                minimum: int) -> list[NewStorm]:
    by_key: dict[str, list[int]] = defaultdict(list)
    for i in loose:
        for key in candidates[i].keys:
            by_key[key].append(i)
    groups: list[tuple[str, list[int]]] = []
    for key, members in by_key.items():
        if len(members) >= minimum and key not in taken_reasons:
            best = _densest(_by_time(members, stamps, ids, by_id), stamps, window)
            if len(best) >= minimum:
                groups.append((key, best))
    groups.sort(key=lambda g: (-len(g[1]), stamps[g[1][0]], g[0]))
    used: set[int] = set()
    out: list[NewStorm] = []
    for key, members in groups:
        free = [i for i in members if i not in used]
        if len(free) < minimum:
            continue
        used.update(free)
        out.append(NewStorm(reason=key, member_ids=tuple(candidates[i].id for i in free),
                            started_at=candidates[free[0]].detected_at,
                            last_member_at=candidates[free[-1]].detected_at))
    return out


def _densest(members: list[int], stamps: list[float], window: float) -> list[int]:
    """The largest run of members (sorted by time) that fits in one window; earliest wins."""
    times = list(map(stamps.__getitem__, members))
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
