"""Reminders in the incident channel: which nudges an incident is due, as of `now`.

- No timeline update for the severity's quiet time (p1 15 min, p2 30, p3 60, p4 never;
  workspace settings) → `stale`, with Snooze 30 min and Post update buttons.
- No commander → `no_commander`, once the incident is a few minutes old.
- Left in `mitigated` for a day → `mitigated`, to resolve it.
Nothing once resolved. Each nudge has a key naming the quiet spell it is about (the spell's
start and how many periods it has lasted), so a job that runs twice, or on two replicas,
asks for the same nudge twice and the outbox records it once; a new spell gets a new key.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.fsm import Status

DEFAULT_QUIET_MINUTES = {"p1": 15, "p2": 30, "p3": 60, "p4": 0}  # 0: no reminder
NO_COMMANDER_AFTER = timedelta(minutes=5)
NO_COMMANDER_REPEAT = timedelta(minutes=30)
MITIGATED_FOR = timedelta(days=1)
SNOOZE = timedelta(minutes=30)

STALE, NO_COMMANDER, MITIGATED = "stale", "no_commander", "mitigated"
LIVE = frozenset({Status.OPEN.value, Status.INVESTIGATING.value, Status.MITIGATED.value})


@dataclass(frozen=True)
class ReminderFacts:
    incident_id: int
    severity: str
    status: str
    detected_at: datetime
    last_update_at: datetime  # the newest timeline entry (declaring counts)
    commander_id: int | None = None
    mitigated_at: datetime | None = None
    snoozed_until: datetime | None = None


@dataclass(frozen=True)
class Nudge:
    kind: str
    key: str
    quiet: timedelta  # how long the condition has held


def _spell(kind: str, since: datetime, now: datetime, period: timedelta) -> Nudge:
    lasted = now - since
    repeat = int(lasted / period) if period > timedelta(0) else 1
    return Nudge(kind, f"{kind}:{int(since.timestamp())}:{repeat}", lasted)


def due(facts: ReminderFacts, now: datetime,
        quiet_minutes: dict[str, int] | None = None) -> list[Nudge]:
    if facts.status not in LIVE:
        return []
    out: list[Nudge] = []
    minutes = (quiet_minutes or DEFAULT_QUIET_MINUTES).get(facts.severity, 0)
    snoozed = facts.snoozed_until is not None and facts.snoozed_until > now
    if minutes > 0 and not snoozed and facts.status != Status.MITIGATED.value:
        period = timedelta(minutes=minutes)
        # A snooze that ran out starts the quiet spell anew from its end.
        since = max(facts.last_update_at, facts.snoozed_until or facts.last_update_at)
        if now - since >= period:
            out.append(_spell(STALE, since, now, period))
    if facts.commander_id is None and now - facts.detected_at >= NO_COMMANDER_AFTER:
        out.append(_spell(NO_COMMANDER, facts.detected_at + NO_COMMANDER_AFTER, now,
                          NO_COMMANDER_REPEAT))
    if (facts.status == Status.MITIGATED.value and facts.mitigated_at is not None
            and now - facts.mitigated_at >= MITIGATED_FOR):
        out.append(_spell(MITIGATED, facts.mitigated_at, now, MITIGATED_FOR))
    return out
