"""Incident keys: INC-0001 per workspace; past 9999 the number simply grows."""

import re

from core.errors import InvalidInput

_KEY = re.compile(r"^\s*(?:inc[-_ ]?)?#?0*(\d{1,9})\s*$", re.IGNORECASE)


def format_key(number: int) -> str:
    return f"INC-{number:04d}"


def parse_key(text: str) -> int:
    """`INC-0042`, `inc-42`, `INC42` and `42` all name incident number 42."""
    match = _KEY.match(text or "")
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"'{text}' is not an incident key. Keys look like INC-0042.",
                           field="key")
    return int(match.group(1))


def looks_like_key(text: str) -> bool:
    return bool(re.match(r"^\s*inc[-_]?\d+\s*$", text or "", re.IGNORECASE))
