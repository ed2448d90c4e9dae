"""The effect policies are pure: events and settings in, effect specs out, no database."""

import pytest

from core import effects as fx
from core.events import (
    CommanderChanged,
    Declared,
    DomainEvent,
    IncidentFacts,
    ResponderAdded,
    SeverityChanged,
    StatusChanged,
    UpdatePosted,
)
from core.fsm import Move, Status
from core.insight_events import ChangeMatched
from core.policies import MIRRORS, POLICIES, effects_for
from core.severity import Severity
from core.validation import WorkspaceSettings


def incident(severity: str = "p3", status: Status = Status.OPEN, *,
             publish: bool = True) -> IncidentFacts:
    return IncidentFacts(id=7, workspace_id=1, number=42, title="Checkout is down",
                         severity=Severity(severity), status=status, services=("checkout",),
                         auto_publish_to_status=publish)


def kinds(event: DomainEvent, **settings: object) -> list[str]:
    return [spec.kind for spec in effects_for(event, WorkspaceSettings.from_json(settings))]


def declared(severity: str, source: str = "slack", **kw: object) -> Declared:
    return Declared(workspace_id=1, source=source, incident=incident(severity, **kw),
                    actor="Dana")


def resolved(source: str) -> StatusChanged:
    return StatusChanged(workspace_id=1, source=source, actor="PD",
                         incident=incident("p1", Status.RESOLVED), old=Status.INVESTIGATING,
                         new=Status.RESOLVED, move=Move.RESOLVE, event_id=5)


def test_a_p1_declared_in_slack_opens_a_channel_pages_and_publishes() -> None:
    assert kinds(declared("p1")) == [fx.SLACK_CREATE_CHANNEL, fx.SLACK_SETUP_CHANNEL,
                                     fx.PAGERDUTY_TRIGGER, fx.TWILIO_PAGE,
                                     fx.STATUSPAGE_PUBLISH]


def test_a_p3_gets_only_its_channel_and_settings_move_the_thresholds() -> None:
    channel = [fx.SLACK_CREATE_CHANNEL, fx.SLACK_SETUP_CHANNEL]
    assert kinds(declared("p3")) == channel
    assert kinds(declared("p3"), page_severity="p3") == [
        *channel, fx.PAGERDUTY_TRIGGER, fx.TWILIO_PAGE]
    assert kinds(declared("p1"), auto_create_channel="off",
                 status_page_auto_publish_severity="p1") == [
        fx.PAGERDUTY_TRIGGER, fx.TWILIO_PAGE, fx.STATUSPAGE_PUBLISH]
    assert fx.STATUSPAGE_PUBLISH not in kinds(declared("p1", publish=False))


def test_a_change_pagerduty_reported_goes_to_everyone_but_pagerduty() -> None:
    from_pd = kinds(resolved("pagerduty"))
    assert fx.PAGERDUTY_RESOLVE not in from_pd
    assert {fx.SLACK_ANNOUNCE, fx.SLACK_ARCHIVE, fx.STATUSPAGE_RESOLVE} <= set(from_pd)
    assert fx.PAGERDUTY_RESOLVE in kinds(resolved("slack"))
    assert fx.PAGERDUTY_TRIGGER not in kinds(declared("p1", source="pagerduty"))


def test_slack_is_where_people_act_so_its_effects_follow_slack_commands() -> None:
    assert "slack" not in MIRRORS and set(MIRRORS) <= set(POLICIES)
    assert fx.SLACK_ANNOUNCE in kinds(resolved("slack"))


def test_announcements_carry_facts_not_prose() -> None:
    [announce] = [s for s in effects_for(resolved("slack"), WorkspaceSettings())
                  if s.kind == fx.SLACK_ANNOUNCE]
    assert announce.key == "5"
    assert announce.facts == {"event": "status_changed", "actor": "PD", "event_id": 5,
                              "old": "investigating", "new": "resolved", "move": "resolve",
                              "reason": None, "root_cause": None}


@pytest.mark.parametrize(("old", "new", "pages"), [("p3", "p2", True), ("p2", "p1", False),
                                                   ("p1", "p3", False), ("p4", "p1", True)])
def test_escalating_into_paging_range_pages_once(old: str, new: str, pages: bool) -> None:
    event = SeverityChanged(workspace_id=1, source="slack", incident=incident(new),
                            old=Severity(old), new=Severity(new), event_id=9)
    got = kinds(event)
    assert (fx.PAGERDUTY_TRIGGER in got) is pages and (fx.TWILIO_PAGE in got) is pages
    assert fx.SLACK_ANNOUNCE in got


def test_channels_on_investigating_and_archive_only_when_on() -> None:
    start = StatusChanged(workspace_id=1, source="slack", incident=incident(),
                          old=Status.OPEN, new=Status.INVESTIGATING, move=Move.INVESTIGATE)
    assert fx.SLACK_CREATE_CHANNEL not in kinds(start)
    opened = kinds(start, create_channel_on="investigating")
    assert opened[:3] == [fx.SLACK_CREATE_CHANNEL, fx.SLACK_SETUP_CHANNEL, fx.SLACK_ANNOUNCE]
    assert fx.SLACK_CREATE_CHANNEL not in kinds(declared("p3"),
                                                create_channel_on="investigating")
    assert fx.SLACK_ARCHIVE not in kinds(resolved("slack"), auto_archive="off")


def test_reopening_republishes_and_a_forced_move_is_announced() -> None:
    reopen = StatusChanged(workspace_id=1, source="slack", incident=incident("p1"),
                           old=Status.RESOLVED, new=Status.INVESTIGATING, move=Move.REOPEN)
    assert fx.STATUSPAGE_PUBLISH in kinds(reopen)
    forced = StatusChanged(workspace_id=1, source="cli", incident=incident(), old=Status.OPEN,
                           new=Status.MITIGATED, reason="cleanup")
    assert forced.audit_action == "incident.forced"
    assert kinds(forced) == [fx.SLACK_ANNOUNCE, fx.STATUSPAGE_UPDATE]  # public: monitoring


def test_people_joining_are_invited() -> None:
    added = ResponderAdded(workspace_id=1, source="web", incident=incident(), member_id=3,
                           member_name="Sam", role="responder")
    [invite] = effects_for(added, WorkspaceSettings())
    assert (invite.kind, invite.facts) == (fx.SLACK_INVITE, {"member_ids": [3]})
    promoted = CommanderChanged(workspace_id=1, source="slack", incident=incident(),
                                old_id=1, new_id=4, new_name="Priya", joined=True)
    assert kinds(promoted) == [fx.SLACK_ANNOUNCE, fx.SLACK_INVITE]


def test_an_event_without_an_incident_needs_no_incident_effect() -> None:
    assert effects_for(Declared(workspace_id=1, source="scheduler"), WorkspaceSettings()) == []


def test_a_change_matching_an_open_incident_redraws_its_report_once_per_change() -> None:
    event = ChangeMatched(workspace_id=1, source="api", incident=incident("p1"), change_id=9,
                          number=12)
    specs = effects_for(event, WorkspaceSettings())
    assert [(s.kind, s.key, s.facts) for s in specs] == [
        (fx.SLACK_REFRESH_REPORT, "change-9", {"change_number": 12})]


def test_a_status_update_is_announced_in_its_own_words_and_nowhere_else() -> None:
    words = "Rolled back v2.14; errors falling. " * 200
    event = UpdatePosted(workspace_id=1, source="slack", actor="Dana", incident=incident("p1"),
                         event_id=9, words=words)
    [announce] = effects_for(event, WorkspaceSettings())
    assert (announce.kind, announce.key) == (fx.SLACK_ANNOUNCE, "9")
    assert announce.facts["event"] == "update_posted" and announce.facts["actor"] == "Dana"
    assert words.startswith(str(announce.facts["update"]))
    assert 0 < len(str(announce.facts["update"])) <= 3000  # one Slack section block
