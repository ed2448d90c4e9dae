"""Change keys: CHG-0001 per workspace, like incident keys."""

import re

from core.errors import InvalidInput

_KEY = re.compile(r"^\s*(?:chg[-_ ]?)?#?0*(\d{1,9})\s*$", re.IGNORECASE)


def format_change_key(number: int) -> str:
    return f"CHG-{number:04d}"


def parse_change_key(text: str) -> int:
    """`CHG-0012`, `chg-12`, `CHG12` and `12` all name change number 12."""
    match = _KEY.match(text or "")
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"'{str(text)[:40]}' is not a change key. Keys look like CHG-0012.",
                           field="change")
    return int(match.group(1))
