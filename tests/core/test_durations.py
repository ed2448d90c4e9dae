"""Durations and ages read as words: '12 min', '3 h 5 min', 'just now'."""

from datetime import timedelta

import pytest

from core.durations import ago_text, duration_text


@pytest.mark.parametrize("seconds,text", [
    (0, "0 s"), (8, "8 s"), (59, "59 s"), (60, "1 min"), (12 * 60 + 30, "12 min"),
    (3600, "1 h"), (3 * 3600 + 5 * 60, "3 h 5 min"), (86400, "1 d"),
    (26 * 3600 + 180, "1 d 2 h"),
])
def test_durations(seconds: int, text: str) -> None:
    assert duration_text(seconds) == text
    assert duration_text(timedelta(seconds=seconds)) == text


def test_ages_read_naturally() -> None:
    assert ago_text(timedelta(seconds=8)) == "just now"
    assert ago_text(timedelta(minutes=12)) == "12 min ago"
    assert ago_text(timedelta(hours=3, minutes=5)) == "3 h 5 min ago"
    assert ago_text(-300) == "in 5 min"
