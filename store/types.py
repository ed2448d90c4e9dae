"""Column types shared by the tables."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, TypeDecorator
from sqlalchemy.engine import Dialect


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _system_now() -> datetime:
    return datetime.now(UTC)


_now: Callable[[], datetime] = _system_now


def utcnow() -> datetime:
    """Now, in UTC: every timestamp the services write comes from here."""
    return _now()


@contextmanager
def use_clock(now: Callable[[], datetime]) -> Iterator[None]:
    """Let `now` tell the time for the whole process inside the block (the demo's replay runs
    a 40-minute incident in seconds this way). One clock at a time; the system clock after."""
    global _now
    previous, _now = _now, now
    try:
        yield
    finally:
        _now = previous


JSONType: Any = JSON


def pk(row: Any) -> int:
    """The primary key of a flushed row (SQLModel types it optional until then)."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush it first")
    return int(row.id)
