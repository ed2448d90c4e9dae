"""The incident status machine, as a transition table.

Each action maps the statuses it may start from to the status it leads to, and names the
timestamp it stamps. Anything not in the table is an illegal move.
"""

from dataclasses import dataclass
from enum import StrEnum

from core.errors import IllegalTransition, InvalidInput


class Status(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    POST_MORTEM = "post_mortem"


class Move(StrEnum):
    INVESTIGATE = "investigate"
    MITIGATE = "mitigate"
    RESOLVE = "resolve"
    OPEN_POST_MORTEM = "open_post_mortem"
    REOPEN = "reopen"


@dataclass(frozen=True)
class Transition:
    move: Move
    sources: frozenset[Status]
    target: Status
    stamp: str | None  # Incident attribute set to "now" when the move happens
    verb: str  # for messages: "Start investigating"


TRANSITIONS: dict[Move, Transition] = {
    t.move: t
    for t in (
        Transition(Move.INVESTIGATE, frozenset({Status.OPEN}), Status.INVESTIGATING,
                   "investigating_at", "Start investigating"),
        Transition(Move.MITIGATE, frozenset({Status.INVESTIGATING}), Status.MITIGATED,
                   "mitigated_at", "Mark mitigated"),
        Transition(Move.RESOLVE, frozenset({Status.INVESTIGATING, Status.MITIGATED}),
                   Status.RESOLVED, "resolved_at", "Resolve"),
        Transition(Move.OPEN_POST_MORTEM, frozenset({Status.RESOLVED}), Status.POST_MORTEM,
                   "post_mortem_at", "Open postmortem"),
        Transition(Move.REOPEN, frozenset({Status.RESOLVED}), Status.INVESTIGATING,
                   "reopened_at", "Reopen"),
    )
}

# Timestamp set when an admin forces the incident into a status.
STATUS_STAMPS: dict[Status, str | None] = {
    Status.OPEN: None,
    Status.INVESTIGATING: "investigating_at",
    Status.MITIGATED: "mitigated_at",
    Status.RESOLVED: "resolved_at",
    Status.POST_MORTEM: "post_mortem_at",
}

ACTIVE_STATUSES = (Status.OPEN, Status.INVESTIGATING, Status.MITIGATED)
CLOSED_STATUSES = (Status.RESOLVED, Status.POST_MORTEM)
STATUS_ORDER = (Status.OPEN, Status.INVESTIGATING, Status.MITIGATED, Status.RESOLVED,
                Status.POST_MORTEM)


# What people type and read (the README's lifecycle table); the enum values stay as stored.
MOVE_NAMES: dict[Move, str] = {move: move.value for move in Move} | {
    Move.OPEN_POST_MORTEM: "postmortem"}


def move_name(move: Move) -> str:
    return MOVE_NAMES[move]


def allowed_moves(status: Status) -> list[Move]:
    return [t.move for t in TRANSITIONS.values() if status in t.sources]


def parse_move(text: str) -> Move:
    value = text.strip().lower().replace("-", "_")
    aliases = {"postmortem": Move.OPEN_POST_MORTEM, "post_mortem": Move.OPEN_POST_MORTEM}
    if value in aliases:
        return aliases[value]
    try:
        return Move(value)
    except ValueError:
        names = ", ".join(move_name(m) for m in Move)
        raise InvalidInput(f"Unknown move '{text}'. Moves: {names}.", field="move") from None


def parse_status(text: str) -> Status:
    value = text.strip().lower().replace("-", "_").replace("postmortem", "post_mortem")
    try:
        return Status(value)
    except ValueError:
        names = ", ".join(s.value for s in Status)
        raise InvalidInput(f"Unknown status '{text}'. Statuses: {names}.",
                           field="status") from None


def apply_move(status: Status, move: Move) -> Transition:
    """Return the transition for `move` from `status`, or explain why it is illegal."""
    transition = TRANSITIONS[move]
    if status not in transition.sources:
        allowed = allowed_moves(status)
        hint = ", ".join(move_name(m) for m in allowed) if allowed else "none"
        what = "open the postmortem" if move == Move.OPEN_POST_MORTEM else move_name(move)
        raise IllegalTransition(
            f"Cannot {what}: the incident is {status.value}. "
            f"Allowed from {status.value}: {hint}."
        )
    return transition
