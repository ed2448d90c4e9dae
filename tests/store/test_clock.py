"""The one injection point for time: services stamp with utcnow(), which a replay may steer."""

from datetime import UTC, datetime, timedelta

import pytest

from store.models import Incident
from store.types import use_clock, utcnow


def test_use_clock_steers_every_stamp_then_gives_time_back() -> None:
    fixed = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with use_clock(lambda: fixed):
        assert utcnow() == fixed
        assert Incident(workspace_id=1, number=1, title="x").created_at == fixed  # defaults too
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(RuntimeError), use_clock(lambda: fixed):
        raise RuntimeError("a failed replay")
    assert utcnow() != fixed
