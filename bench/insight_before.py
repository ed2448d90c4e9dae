"""The insight passes as they were before issue 10's speed work (commit 5bbecc3), kept only so
bench/bench_insight.py can time them beside the current ones in the same run, on the same
inputs and the same load. Nothing outside bench/ imports this."""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from core.cause import DEFAULT_LIMIT, DEFAULT_LOOKBACK, ChangeFacts, Suggestion, _suggestion, norm
from core.runbooks import DEFAULT_LIMIT as RUNBOOK_LIMIT
from core.runbooks import TAG_WEIGHT, Candidate, Match
from core.storms import DEFAULT_WINDOW, MIN_MEMBERS, NewStorm, OpenStorm, Plan
from core.storms import Candidate as StormCandidate


def plan(candidates: Sequence[StormCandidate], open_storms: Sequence[OpenStorm], *,
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
    # object alive), costs several times more at this size.
    stamps = [c.detected_at.timestamp() for c in candidates]
    ids = [c.id for c in candidates]
    order = sorted(range(len(candidates)), key=ids.__getitem__)
    order.sort(key=stamps.__getitem__)  # stable: by time, then by id
    joins: dict[int, list[int]] = defaultdict(list)
    loose = order
    if by_reason:
        loose = []
        for i in order:
            storm = _storm_for(candidates[i], by_reason, window)
            if storm is None:
                loose.append(i)
            else:
                joins[storm.id].append(ids[i])
    found = _new_storms(candidates, stamps, loose, set(by_reason), window.total_seconds(),
                        minimum)
    return Plan(new=tuple(found), joins={sid: tuple(ids) for sid, ids in joins.items()})


def _storm_for(incident: StormCandidate, by_reason: dict[str, OpenStorm],
               window: timedelta) -> OpenStorm | None:
    best: OpenStorm | None = None
    for key in incident.keys:
        found = by_reason.get(key)
        if found is None or incident.detected_at < found.started_at - window:
            continue
        if best is None or (found.started_at, found.id) < (best.started_at, best.id):
            best = found
    return best


def _new_storms(candidates: Sequence[StormCandidate], stamps: list[float], loose: list[int],
                taken_reasons: set[str], window: float, minimum: int) -> list[NewStorm]:
    by_key: dict[str, list[int]] = defaultdict(list)
    for i in loose:  # already in detection order
        for key in candidates[i].keys:
            by_key[key].append(i)
    groups: list[tuple[str, list[int]]] = []
    for key, members in by_key.items():
        if len(members) >= minimum and key not in taken_reasons:
            best = _densest(members, stamps, window)
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
    times = [stamps[i] for i in members]
    best_start, best_len = 0, 0
    for start, at in enumerate(times):
        length = bisect_right(times, at + window, start) - start
        if length > best_len:
            best_start, best_len = start, length
    return members[best_start:best_start + best_len]



def match(wanted: Mapping[str, str], runbooks: Sequence[Candidate], *,
          limit: int = RUNBOOK_LIMIT) -> list[Match]:
    """The best `limit` runbooks for an incident's terms; ties go to the newest runbook."""
    if not wanted or limit <= 0:
        return []
    wanted_set = wanted.keys()
    scored: list[tuple[int, int, Candidate, frozenset[str]]] = []
    for runbook in runbooks:
        by_tag = runbook.terms.tags & wanted_set
        by_title = runbook.terms.title & wanted_set
        if by_tag or by_title:
            score = TAG_WEIGHT * len(by_tag) + len(by_title - by_tag)
            scored.append((-score, -runbook.id, runbook, by_tag | by_title))
    scored.sort(key=lambda row: row[:2])
    return [Match(r.id, r.title, -score, tuple(sorted(wanted[h] for h in hit)))
            for score, _, r, hit in scored[:limit]]


def suggest(services: Iterable[str], detected_at: datetime, changes: Sequence[ChangeFacts], *,
            lookback: timedelta = DEFAULT_LOOKBACK, limit: int = DEFAULT_LIMIT
            ) -> list[Suggestion]:
    wanted = {norm(s): str(s) for s in services if norm(s)}
    if not wanted or limit <= 0:
        return []
    earliest = detected_at - lookback
    scored: list[tuple[int, timedelta, int, ChangeFacts, tuple[str, ...]]] = []
    for change in changes:
        if not earliest <= change.started_at <= detected_at:
            continue
        hits = {norm(a) for a in change.assets} & wanted.keys()
        if hits:
            matched = tuple(sorted(wanted[h] for h in hits))
            scored.append((-len(matched), detected_at - change.started_at, -change.number,
                           change, matched))
    scored.sort(key=lambda row: row[:3])
    return [_suggestion(change, matched, before, len(wanted))
            for _, before, _, change, matched in scored[:limit]]


