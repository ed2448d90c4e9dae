from datetime import UTC, datetime, timedelta

from core.reminders import MITIGATED, NO_COMMANDER, STALE, ReminderFacts, due

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def facts(**kw: object) -> ReminderFacts:
    base = {"incident_id": 1, "severity": "p1", "status": "investigating", "detected_at": T0,
            "last_update_at": T0, "commander_id": 5}
    return ReminderFacts(**(base | kw))  # type: ignore[arg-type]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_quiet_time_depends_on_severity_and_p4_never() -> None:
    assert due(facts(), at(14)) == []
    assert [n.kind for n in due(facts(), at(15))] == [STALE]
    assert due(facts(severity="p2"), at(29)) == []
    assert [n.kind for n in due(facts(severity="p3"), at(60))] == [STALE]
    assert due(facts(severity="p4"), at(10_000)) == []
    assert [n.kind for n in due(facts(severity="p4"), at(10), {"p4": 10})] == [STALE]


def test_same_spell_same_key_new_period_or_update_new_key() -> None:
    first = due(facts(), at(16))[0].key
    assert due(facts(), at(20))[0].key == first  # the job running again: same nudge
    assert due(facts(), at(31))[0].key != first  # another quiet period: nudge again
    assert due(facts(last_update_at=at(10)), at(26))[0].key != first


def test_snooze_holds_then_the_spell_restarts_from_its_end() -> None:
    snoozed = facts(snoozed_until=at(46))
    assert due(snoozed, at(40)) == []
    assert due(snoozed, at(50)) == []
    assert [n.kind for n in due(snoozed, at(61))] == [STALE]


def test_no_commander_and_mitigated_for_a_day() -> None:
    assert [n.kind for n in due(facts(commander_id=None), at(6))] == [NO_COMMANDER]
    assert due(facts(commander_id=None, status="open", severity="p4"), at(4)) == []
    mitigated = facts(status="mitigated", mitigated_at=at(0))
    assert due(mitigated, at(60 * 23)) == []
    assert [n.kind for n in due(mitigated, at(60 * 24))] == [MITIGATED]


def test_nothing_once_resolved() -> None:
    for status in ("resolved", "post_mortem"):
        assert due(facts(status=status, commander_id=None), at(10_000)) == []
