"""Response metrics: time to acknowledge, to mitigate and to resolve, per severity and period.

Each is measured from `detected_at`: acknowledge = detected → investigating, mitigate =
detected → mitigated, resolve = detected → resolved. An incident counts in a period when it
was detected within it; an incident that has not reached a stage yet is left out of that
stage's figures. Median and p90 use the nearest-rank method, so every figure is one a real
incident took.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from core.severity import Severity

PERIODS = (7, 30, 90)  # days
MEASURES = ("acknowledge", "mitigate", "resolve")


@dataclass(frozen=True)
class Timing:
    severity: str
    detected_at: datetime
    investigating_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None

    def seconds(self, measure: str) -> float | None:
        end = {"acknowledge": self.investigating_at, "mitigate": self.mitigated_at,
               "resolve": self.resolved_at}[measure]
        if end is None:
            return None
        return max(0.0, (end - self.detected_at).total_seconds())


@dataclass(frozen=True)
class Figure:
    count: int
    median: float | None  # seconds
    p90: float | None

    def to_json(self) -> dict[str, float | int | None]:
        return {"count": self.count, "median_seconds": self.median, "p90_seconds": self.p90}


def nearest_rank(sorted_values: Sequence[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def figure(values: Iterable[float]) -> Figure:
    ordered = sorted(values)
    return Figure(len(ordered), nearest_rank(ordered, 0.5), nearest_rank(ordered, 0.9))


@dataclass(frozen=True)
class Stats:
    """figures[period days][severity or "all"][measure]"""

    now: datetime
    figures: dict[int, dict[str, dict[str, Figure]]]
    incidents: dict[int, int]  # detected in each period

    def get(self, days: int, severity: str, measure: str) -> Figure:
        return self.figures[days][severity][measure]

    def to_json(self) -> dict[str, object]:
        return {"as_of": self.now.isoformat(), "periods": {
            f"{days}d": {"incidents": self.incidents[days], "by_severity": {
                sev: {m: f.to_json() for m, f in measures.items()}
                for sev, measures in by_sev.items()}}
            for days, by_sev in self.figures.items()}}


class Durations(NamedTuple):
    """One incident in seconds: its age (now − detected) and each stage it reached. A tuple:
    /metrics builds one per incident of the last 90 days from a database row."""

    severity: str
    age: float
    acknowledge: float | None = None
    mitigate: float | None = None
    resolve: float | None = None


def compute(timings: Iterable[Timing], now: datetime,
            periods: Sequence[int] = PERIODS) -> Stats:
    return compute_durations(
        (Durations(t.severity, (now - t.detected_at).total_seconds(), t.seconds("acknowledge"),
                   t.seconds("mitigate"), t.seconds("resolve")) for t in timings),
        now, periods)


def compute_durations(rows: Iterable[Durations], now: datetime,
                      periods: Sequence[int] = PERIODS) -> Stats:
    """`compute` from durations already in seconds (a database can subtract for us)."""
    keys = [*(s.value for s in Severity), "all"]
    spans = sorted(periods)
    limits = [d * 86400.0 for d in spans]
    # Periods nest (7 ⊂ 30 ⊂ 90 days): each value goes to the shortest period holding it,
    # and a period's figures are its own values plus every shorter period's.
    own: list[dict[str, dict[str, list[float]]]] = [
        {k: {m: [] for m in MEASURES} for k in keys} for _ in spans]
    own_counts = [0] * len(spans)
    for row in rows:
        age = row.age
        if age < 0 or age > limits[-1]:
            continue
        slot = next(i for i, limit in enumerate(limits) if age <= limit)
        own_counts[slot] += 1
        bucket = own[slot]
        by_all, by_sev = bucket["all"], bucket.get(row.severity)
        for measure, seconds in (("acknowledge", row.acknowledge),
                                 ("mitigate", row.mitigate), ("resolve", row.resolve)):
            if seconds is None:
                continue
            value = seconds if seconds > 0 else 0.0
            by_all[measure].append(value)
            if by_sev is not None:
                by_sev[measure].append(value)
    figures: dict[int, dict[str, dict[str, Figure]]] = {}
    counts: dict[int, int] = {}
    for n, days in enumerate(spans):
        counts[days] = sum(own_counts[: n + 1])
        figures[days] = {k: {m: figure([v for part in own[: n + 1] for v in part[k][m]])
                             for m in MEASURES} for k in keys}
    return Stats(now, {d: figures[d] for d in periods}, {d: counts[d] for d in periods})
