"""What the pinned situation report shows beyond the incident itself: Probable cause (the
ranked suggested changes, with why, and the linked one) and the runbooks that match.

A read model for the Slack adapter (integrations never query the store themselves); the
ranking stays in core/cause.py and core/runbooks.py through services.cause and
services.runbooks, so the report, `/vigilo cause suggest` and the detail page agree.
"""

from dataclasses import dataclass

from core.change_keys import format_change_key
from core.errors import NotFound
from core.keys import format_key
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


def for_incident(db: Database, workspace_id: int, number: int) -> SituationInsight:
    """The report's Probable cause and runbooks for incident `number` (INC-number)."""
    try:
        view = cause.suggest(db, workspace_id, number, limit=REPORT_SUGGESTIONS)
        found = runbooks.for_incident(db, workspace_id, number, limit=REPORT_RUNBOOKS)
    except NotFound:  # deleted meanwhile: the report shows the incident alone
        return SituationInsight(format_key(number), None, None)
    return SituationInsight(
        view.key, view.linked, view.linked_title,
        tuple(SuggestedChange(format_change_key(s.number), s.title, s.why)
              for s in view.suggestions),
        tuple(SuggestedRunbook(rb.title, rb.link, match.why) for match, rb in found))
