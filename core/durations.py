"""Durations as people say them: `45 s`, `12 min`, `2 h 10 min`, `3 d 4 h`."""

from datetime import timedelta


def spoken(value: timedelta | float) -> str:
    seconds = abs(int(value.total_seconds() if isinstance(value, timedelta) else value))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(seconds // 3600, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
