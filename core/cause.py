"""Suggest cause (WA.14): recent changes whose affected assets touch the incident's services.

A change is a candidate when it started within a look-back window before the incident was
detected and at least one of its assets names one of the incident's services (compared
without case or spacing). Candidates rank by how many services they touch, then by how close
to the detection they started; each says why it was suggested.
"""

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.durations import duration_text

DEFAULT_LOOKBACK = timedelta(hours=24)
DEFAULT_LIMIT = 5


def norm(name: str) -> str:
    return " ".join(str(name).lower().split())


@dataclass(frozen=True)
class ChangeFacts:
    id: int
    number: int
    title: str
    assets: tuple[str, ...]
    started_at: datetime


@dataclass(frozen=True)
class Suggestion:
    change_id: int
    number: int
    title: str
    matched: tuple[str, ...]  # the incident's services the change touched
    before: timedelta  # how long before detection the change started
    why: str


def suggest(services: Iterable[str], detected_at: datetime, changes: Sequence[ChangeFacts], *,
            lookback: timedelta = DEFAULT_LOOKBACK, limit: int = DEFAULT_LIMIT
            ) -> list[Suggestion]:
    wanted = {norm(s): str(s) for s in services if norm(s)}
    if not wanted or limit <= 0:
        return []
    earliest = detected_at - lookback
    names: dict[str, str] = {}  # raw asset → norm: the same few names recur in every change
    scored: list[tuple[int, timedelta, int, ChangeFacts, tuple[str, ...]]] = []
    for change in changes:
        if not earliest <= change.started_at <= detected_at:
            continue
        hits = set()
        for asset in change.assets:
            name = names.get(asset)
            if name is None:
                name = names[asset] = norm(asset)
            if name in wanted:
                hits.add(name)
        if hits:
            matched = tuple(sorted(wanted[h] for h in hits))
            scored.append((-len(matched), detected_at - change.started_at, -change.number,
                           change, matched))
    best = heapq.nsmallest(limit, scored, key=lambda row: row[:3])
    return [_suggestion(change, matched, before, len(wanted))
            for _, before, _, change, matched in best]


def _suggestion(change: ChangeFacts, matched: tuple[str, ...], before: timedelta,
                wanted: int) -> Suggestion:
    touched = ", ".join(matched)
    share = "every affected service" if len(matched) == wanted and wanted > 1 else (
        f"{len(matched)} of {wanted} affected services" if wanted > 1 else "the affected service")
    why = (f"Touched {touched} ({share}), started {duration_text(before)} before the incident "
           "was detected.")
    return Suggestion(change_id=change.id, number=change.number, title=change.title,
                      matched=matched, before=before, why=why)
