"""What the pinned situation report shows beyond the incident itself: Probable cause (the
ranked suggested changes, with why, and the linked one) and the runbooks that match.

A read model for the Slack adapter (integrations never query the store themselves); the
ranking stays in core/cause.py and core/runbooks.py through services.cause and
services.runbooks, so the report, `/vigilo cause suggest` and the detail page agree.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.change_keys import format_change_key
from services import cause, runbooks
from store.db import Database

REPORT_SUGGESTIONS = 3  # a pinned message is read at a glance: the best few, not the list
REPORT_RUNBOOKS = 3


@dataclass(frozen=True)
class SuggestedChange:
    key: str  # CHG-0012
    title: str
    why: str


@dataclass(frozen=True)
class SuggestedRunbook:
    title: str
    link: str | None
    why: str


@dataclass(frozen=True)
class SituationInsight:
    incident_key: str
    linked: str | None  # the CHG- key people bound as the probable cause
    linked_title: str | None
    changes: tuple[SuggestedChange, ...] = ()
    runbooks: tuple[SuggestedRunbook, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.linked or self.changes or self.runbooks)


@dataclass(frozen=True)
class Subject:
    """The incident facts the insight is worked out from, as its caller has read them."""

    workspace_id: int
    number: int
    title: str
    description: str
    services: tuple[str, ...]
    detected_at: datetime
    caused_by_change_id: int | None
    cause_lookback_hours: int


def for_incident(db: Database, subject: Subject) -> SituationInsight:
    """The report's Probable cause and runbooks, read in one go (each report, and every
    new incident's channel, asks: loading the incident again for each half cost more than
    the ranking)."""
    with db.read() as session:
        view = cause.suggest_in(session, subject.workspace_id, subject.number,
                                subject.services, subject.detected_at,
                                subject.caused_by_change_id,
                                timedelta(hours=subject.cause_lookback_hours),
                                limit=REPORT_SUGGESTIONS)
        found = runbooks.for_text_in(session, subject.workspace_id, subject.title,
                                     subject.services, subject.description,
                                     limit=REPORT_RUNBOOKS)
    return SituationInsight(
        view.key, view.linked, view.linked_title,
        tuple(SuggestedChange(format_change_key(s.number), s.title, s.why)
              for s in view.suggestions),
        tuple(SuggestedRunbook(rb.title, rb.link, match.why) for match, rb in found))
