from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from core.metrics import Timing, compute, figure, nearest_rank

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def t(sev: str, days_ago: float, ack: float | None = None, mit: float | None = None,
      res: float | None = None) -> Timing:
    detected = NOW - timedelta(days=days_ago)
    at = lambda m: detected + timedelta(minutes=m) if m is not None else None  # noqa: E731
    return Timing(sev, detected, at(ack), at(mit), at(res))


def test_median_and_p90_per_severity_and_period() -> None:
    timings = [t("p1", 1, ack=m, res=m * 10) for m in range(1, 11)] + [
        t("p2", 20, ack=100), t("p1", 60, ack=1000), t("p1", 100, ack=5)]
    stats = compute(timings, NOW)
    week = stats.get(7, "p1", "acknowledge")
    assert (week.count, week.median, week.p90) == (10, 300.0, 540.0)
    assert stats.get(7, "p1", "resolve").p90 == 5400.0
    assert stats.get(7, "p2", "acknowledge").count == 0
    assert stats.get(30, "p2", "acknowledge").median == 6000.0
    assert stats.get(90, "all", "acknowledge").count == 12
    assert stats.incidents == {7: 10, 30: 11, 90: 12}
    assert stats.get(90, "p1", "mitigate").median is None
    data: Any = stats.to_json()
    assert data["periods"]["7d"]["by_severity"]["p1"]["acknowledge"]["median_seconds"] == 300.0


def test_empty_and_single() -> None:
    assert figure([]).median is None
    assert figure([7.0]) == figure([7.0]).__class__(1, 7.0, 7.0)


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=100))
def test_nearest_rank_is_a_value_and_p90_not_below_median(values: list) -> None:
    ordered = sorted(values)
    med, p90 = nearest_rank(ordered, 0.5), nearest_rank(ordered, 0.9)
    assert med is not None and p90 is not None
    assert med in values and p90 in values and p90 >= med
    assert sum(v <= med for v in values) >= len(values) / 2
