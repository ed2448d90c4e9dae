"""Seconds between two timestamp columns, computed by the database: reading thousands of
rows as numbers is several times cheaper than parsing their timestamps in Python."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement


def seconds_between(dialect: str, end: Any, start: Any) -> ColumnElement[float]:
    if dialect == "sqlite":
        # UTCDateTime stores naive UTC text on SQLite, which julianday() reads.
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return cast(func.extract("epoch", end - start), Float)


def now_literal(dialect: str, now: datetime) -> Any:
    """`now` as the database compares it with stored timestamps."""
    utc = now.astimezone(UTC)
    if dialect == "sqlite":
        return literal(utc.replace(tzinfo=None).isoformat(sep=" "))
    return literal(utc)
