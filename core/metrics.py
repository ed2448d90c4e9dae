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
from datetime import datetime, timedelta

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


def compute(timings: Iterable[Timing], now: datetime,
            periods: Sequence[int] = PERIODS) -> Stats:
    keys = [*(s.value for s in Severity), "all"]
    values: dict[int, dict[str, dict[str, list[float]]]] = {
        d: {k: {m: [] for m in MEASURES} for k in keys} for d in periods}
    counts = dict.fromkeys(periods, 0)
    starts = {d: now - timedelta(days=d) for d in periods}
    for timing in timings:
        if timing.detected_at > now:
            continue
        inside = [d for d in periods if timing.detected_at >= starts[d]]
        if not inside:
            continue
        measured = [(m, timing.seconds(m)) for m in MEASURES]
        for days in inside:
            counts[days] += 1
            for measure, seconds in measured:
                if seconds is None:
                    continue
                values[days]["all"][measure].append(seconds)
                if timing.severity in values[days]:
                    values[days][timing.severity][measure].append(seconds)
    return Stats(now, {d: {k: {m: figure(v) for m, v in by_m.items()}
                           for k, by_m in by_k.items()} for d, by_k in values.items()}, counts)
