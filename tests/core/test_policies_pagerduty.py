"""The PagerDuty policy: page, acknowledge, urgency, resolve; nothing back to PagerDuty."""

from core import effects as fx
from core.events import NoteAdded, SeverityChanged, StatusChanged
from core.fsm import Move, Status
from core.policies import effects_for, pagerduty
from core.severity import Severity
from core.validation import WorkspaceSettings
from tests.core.test_policies import incident

SETTINGS = WorkspaceSettings()  # paging at p2 and above


def moved(old: Status, new: Status, move: Move, source: str = "slack") -> StatusChanged:
    return StatusChanged(workspace_id=1, source=source, incident=incident("p1", new),
                         old=old, new=new, move=move, event_id=9)


def severity(old: str, new: str) -> SeverityChanged:
    return SeverityChanged(workspace_id=1, source="slack", incident=incident(new),
                           old=Severity(old), new=Severity(new), event_id=11)


def test_investigating_acknowledges_and_resolving_resolves() -> None:
    [ack] = pagerduty.policy(moved(Status.OPEN, Status.INVESTIGATING, Move.INVESTIGATE),
                             SETTINGS)
    assert (ack.kind, ack.key) == (fx.PAGERDUTY_ACKNOWLEDGE, "9")
    [res] = pagerduty.policy(moved(Status.MITIGATED, Status.RESOLVED, Move.RESOLVE), SETTINGS)
    assert res.kind == fx.PAGERDUTY_RESOLVE
    assert pagerduty.policy(moved(Status.INVESTIGATING, Status.MITIGATED, Move.MITIGATE),
                            SETTINGS) == []
    # reported by PagerDuty: nothing goes back there
    back = effects_for(moved(Status.OPEN, Status.INVESTIGATING, Move.INVESTIGATE,
                             "pagerduty"), SETTINGS)
    assert not [s for s in back if s.kind.startswith("pagerduty.")]


def test_severity_changes_page_once_then_follow_urgency() -> None:
    [page] = pagerduty.policy(severity("p3", "p2"), SETTINGS)
    assert (page.kind, page.key) == (fx.PAGERDUTY_TRIGGER, "severity-11")
    [urgency] = pagerduty.policy(severity("p1", "p4"), SETTINGS)
    assert urgency.kind == fx.PAGERDUTY_URGENCY and urgency.facts == {"severity": "p4"}
    assert pagerduty.policy(severity("p4", "p3"), SETTINGS) == []  # never paged: nothing


def note(source: str = "slack", severity_: str = "p1") -> NoteAdded:
    return NoteAdded(workspace_id=1, source=source, incident=incident(severity_), event_id=21)


def test_notes_are_mirrored_only_when_the_workspace_asks_and_never_back() -> None:
    mirroring = WorkspaceSettings(pagerduty_mirror_notes=True)
    assert pagerduty.policy(note(), SETTINGS) == []  # off by default
    [spec] = effects_for(note(), mirroring)
    assert (spec.kind, spec.key, spec.facts) == (fx.PAGERDUTY_NOTE, "21", {"event_id": 21})
    # whatever the severity now: a p1 lowered to p4 still has its PagerDuty incident
    assert [s.kind for s in pagerduty.policy(note(severity_="p4"), mirroring)] == [
        fx.PAGERDUTY_NOTE]
    # a PagerDuty annotation, put on our timeline: the mirror rule keeps it from bouncing
    assert not [s for s in effects_for(note("pagerduty"), mirroring)
                if s.kind.startswith("pagerduty.")]
