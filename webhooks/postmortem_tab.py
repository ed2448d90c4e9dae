"""What the detail page's Postmortem tab shows besides the incident: sections, durations,
action items, and a page of the timeline copy with readable times."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.postmortem import OUTLINE, span_text
from services.postmortem_view import PostmortemView, get_postmortem
from store.db import Database


@dataclass(frozen=True)
class TabView:
    pm: PostmortemView
    entries: list[dict[str, Any]]  # the page of the copy, `at` as a datetime
    outline: tuple[str, ...] = OUTLINE

    @property
    def stones(self) -> list[tuple[str, datetime | None, str]]:
        return [(s.name, s.at, span_text(s.since_previous)) for s in self.pm.stones]


def view(db: Database, workspace_id: int, key: str, snapshot: list[dict[str, Any]],
         total: int) -> TabView:
    return TabView(get_postmortem(db, workspace_id, key, timeline_total=total),
                   [{"edited_at": None, **entry, "at": _at(entry.get("at"))}
                    for entry in snapshot])


def _at(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
