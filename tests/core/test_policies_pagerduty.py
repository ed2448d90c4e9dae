"""The PagerDuty policy: page, acknowledge, urgency, resolve; nothing back to PagerDuty."""

from core import effects as fx
from core.events import SeverityChanged, StatusChanged
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
