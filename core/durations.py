"""How long something took or has lasted, in words every surface shares.

"45 s", "12 min", "3 h 5 min", "2 d 4 h": at most two units, never a bare "8s" without
spacing, and an age under a minute reads "just now".
"""

from datetime import timedelta


def duration_text(value: timedelta | float) -> str:
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


def ago_text(value: timedelta | float) -> str:
    """`just now`, `12 min ago`, `3 h 5 min ago` (or `in 5 min` for a future time)."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if abs(seconds) < 60:
        return "just now"
    return f"{duration_text(seconds)} ago" if seconds > 0 else f"in {duration_text(seconds)}"
