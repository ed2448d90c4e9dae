"""The announcements channel and the delayed archive, as pure policy: no database."""

from core import effects as fx
from core.events import Declared, DomainEvent, PostmortemStatusChanged, SeverityChanged
from core.fsm import Status
from core.insight_events import StormJoined
from core.policies import effects_for
from core.policies.spec import EffectSpec
from core.severity import Severity
from core.validation import WorkspaceSettings
from tests.core.test_policies import declared, incident, resolved


def broadcasts(event: DomainEvent, **settings: object) -> list[EffectSpec]:
    return [s for s in effects_for(event, WorkspaceSettings.from_json(settings))
            if s.kind == fx.SLACK_BROADCAST]


def test_off_unless_announce_channel_is_set() -> None:
    assert broadcasts(declared("p1")) == []
    assert len(broadcasts(declared("p1"), announce_channel="#incidents")) == 1


def test_declared_at_or_above_the_threshold_only() -> None:
    on = {"announce_channel": "#incidents"}
    assert [len(broadcasts(declared(s), **on)) for s in ("p1", "p2", "p3", "p4")] == [1, 1, 0, 0]
    assert len(broadcasts(declared("p3"), **on, announce_severity="p3")) == 1
    assert broadcasts(declared("p2"), **on, announce_severity="p1") == []


def test_every_shown_change_asks_for_an_update_after_the_incident_channel() -> None:
    specs = effects_for(resolved("slack"), WorkspaceSettings.from_json(
        {"announce_channel": "C0123ABCD"}))
    kinds = [s.kind for s in specs]
    assert kinds.index(fx.SLACK_ANNOUNCE) < kinds.index(fx.SLACK_BROADCAST)
    raised = SeverityChanged(workspace_id=1, source="slack", incident=incident("p1"),
                             old=Severity.P3, new=Severity.P1, event_id=9)
    [spec] = broadcasts(raised, announce_channel="#incidents")
    assert spec.facts == {"what": "incident"} and spec.key == "9"


def test_a_published_postmortem_is_its_own_post() -> None:
    def moved(new: str) -> PostmortemStatusChanged:
        return PostmortemStatusChanged(workspace_id=1, source="slack", actor="Dana",
                                       incident=incident("p4", Status.POST_MORTEM),
                                       old="in_review", new=new, event_id=3)
    [spec] = broadcasts(moved("published"), announce_channel="#incidents")
    assert spec.key == "postmortem-3" and spec.facts["what"] == "postmortem"
    assert broadcasts(moved("draft"), announce_channel="#incidents") == []


def test_a_new_storm_is_one_post_for_the_workspace() -> None:
    def joined(created: bool, number: int) -> StormJoined:
        return StormJoined(workspace_id=1, source="scheduler", incident=incident("p3"),
                           storm_id=4, reason="service:api", members=3, created=created,
                           event_id=number)
    first, second = (broadcasts(joined(True, n), announce_channel="#incidents")
                     for n in (1, 2))
    assert first == second  # same key, for the workspace: recorded once
    assert first[0].workspace_wide and first[0].key == "storm-4"
    assert broadcasts(joined(False, 3), announce_channel="#incidents") == []


def test_resolve_archives_at_once_or_plans_it_with_a_heads_up() -> None:
    def archive_kinds(**settings: object) -> list[EffectSpec]:
        return [s for s in effects_for(resolved("slack"), WorkspaceSettings.from_json(settings))
                if s.kind in (fx.SLACK_ARCHIVE, fx.SLACK_ARCHIVE_LATER)]
    assert [s.kind for s in archive_kinds()] == [fx.SLACK_ARCHIVE]
    [later] = archive_kinds(archive_delay="24h")
    assert later.kind == fx.SLACK_ARCHIVE_LATER and later.facts == {"delay_minutes": 1440}
    assert archive_kinds(archive_delay="24h", auto_archive="off") == []


def test_declared_ignores_storm_scope() -> None:
    [spec] = broadcasts(Declared(workspace_id=1, source="api", incident=incident("p1")),
                        announce_channel="#incidents")
    assert not spec.workspace_wide
