"""Severity levels: p1 is the most severe. Ordering drives paging and status-page rules."""

from enum import StrEnum

from core.errors import InvalidInput
from core.numbers import is_digits


class Severity(StrEnum):
    P1 = "p1"
    P2 = "p2"
    P3 = "p3"
    P4 = "p4"

    @property
    def rank(self) -> int:
        """1 is most severe; compare ranks, never strings."""
        return int(self.value[1])

    @property
    def label(self) -> str:
        return SEVERITY_LABELS[self]

    def at_least(self, threshold: "Severity") -> bool:
        """True when this severity is as severe as `threshold` or more."""
        return self.rank <= threshold.rank


SEVERITY_LABELS = {
    Severity.P1: "critical",
    Severity.P2: "high",
    Severity.P3: "medium",
    Severity.P4: "low",
}

DEFAULT_SEVERITY = Severity.P3


def parse_severity(text: str | None) -> Severity:
    """Accept `p1`, `P1`, `1`, `sev1` and the label (`critical`)."""
    if text is None or not str(text).strip():
        return DEFAULT_SEVERITY
    value = str(text).strip().lower()
    if value.startswith("sev"):
        value = value[3:]
    if is_digits(value):
        value = f"p{value}"
    for sev in Severity:
        if value in (sev.value, sev.label):
            return sev
    raise InvalidInput(
        f"Unknown severity '{text}'. Use one of: p1 (critical), p2 (high), p3 (medium), p4 (low).",
        field="severity",
    )


def is_severity(text: str) -> bool:
    try:
        parse_severity(text)
    except InvalidInput:
        return False
    return bool(text.strip())
