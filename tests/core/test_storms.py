from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from core.storms import (
    Candidate,
    OpenStorm,
    banner_text,
    common_keys,
    expired,
    grouping_keys,
    plan,
)

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def inc(i: int, minutes: float, *services: str) -> Candidate:
    return Candidate(i, T0 + timedelta(minutes=minutes), grouping_keys(services))


def test_three_related_within_the_window_form_one_storm_with_its_reason() -> None:
    result = plan([inc(1, 0, "checkout"), inc(2, 10, "Checkout "), inc(3, 29, "checkout", "db"),
                   inc(4, 5, "search")], [])
    assert len(result.new) == 1
    storm = result.new[0]
    assert storm.reason == "service:checkout"
    assert storm.member_ids == (1, 2, 3)
    assert storm.started_at == T0 and storm.last_member_at == T0 + timedelta(minutes=29)


def test_two_related_or_three_spread_beyond_the_window_are_no_storm() -> None:
    assert plan([inc(1, 0, "checkout"), inc(2, 1, "checkout")], []).empty
    assert plan([inc(1, 0, "checkout"), inc(2, 20, "checkout"), inc(3, 41, "checkout")],
                []).empty
    assert plan([inc(1, 0, "a"), inc(2, 1, "b"), inc(3, 2, "c")], []).empty


def test_the_window_is_a_setting() -> None:
    spread = [inc(1, 0, "checkout"), inc(2, 20, "checkout"), inc(3, 41, "checkout")]
    assert len(plan(spread, [], window=timedelta(minutes=45)).new) == 1


def test_tags_and_assets_group_too() -> None:
    keys = grouping_keys(tags=["DB"], assets=["eu-west-1"])
    assert keys == {"tag:db", "asset:eu-west-1"}
    result = plan([Candidate(i, T0 + timedelta(minutes=i), grouping_keys(assets=["eu-west-1"]))
                   for i in range(1, 4)], [])
    assert result.new[0].reason == "asset:eu-west-1"


def test_later_related_incidents_join_the_open_storm_instead_of_a_new_one() -> None:
    storm = OpenStorm(7, "service:checkout", T0)
    result = plan([inc(10, 50, "checkout"), inc(11, 51, "checkout"), inc(12, 52, "checkout"),
                   inc(13, 53, "search")], [storm])
    assert result.new == ()
    assert result.joins == {7: (10, 11, 12)}


def test_an_incident_goes_to_one_storm_only_largest_group_first() -> None:
    incidents = [inc(1, 0, "api", "db"), inc(2, 1, "api", "db"), inc(3, 2, "api", "db"),
                 inc(4, 3, "api"), inc(5, 4, "db")]
    result = plan(incidents, [])
    assert [s.reason for s in result.new] == ["service:api"]
    assert result.new[0].member_ids == (1, 2, 3, 4)


def test_auto_resolve_after_an_hour_without_a_new_member() -> None:
    assert not expired(T0, T0 + timedelta(minutes=59))
    assert expired(T0, T0 + timedelta(hours=1))


def test_common_keys_and_banner() -> None:
    assert common_keys([grouping_keys(["a", "b"]), grouping_keys(["b", "a", "c"])]) == [
        "service:a", "service:b"]
    assert banner_text(5, timedelta(minutes=30)) == (
        "5 related incidents in the last 30 minutes — possible storm.")
    assert banner_text(3, timedelta(hours=1)).endswith("in the last hour — possible storm.")


incidents_st = st.lists(
    st.tuples(st.integers(0, 240), st.sets(st.sampled_from("abcde"), min_size=1, max_size=3)),
    max_size=40)


@settings(max_examples=150, deadline=None)
@given(incidents_st)
def test_a_second_pass_over_the_first_pass_result_changes_nothing(rows: list) -> None:
    """Idempotence of the job: after applying a plan, the next pass asks for nothing."""
    candidates = [inc(i, m, *s) for i, (m, s) in enumerate(rows)]
    first = plan(candidates, [])
    members = [i for storm in first.new for i in storm.member_ids]
    assert len(members) == len(set(members))  # one storm per incident
    for storm in first.new:
        times = [candidates[i].detected_at for i in storm.member_ids]
        assert len(times) >= 3 and max(times) - min(times) <= timedelta(minutes=30)
        assert all(storm.reason in candidates[i].keys for i in storm.member_ids)
    storms = [OpenStorm(100 + n, s.reason, s.started_at) for n, s in enumerate(first.new)]
    left = [c for c in candidates if c.id not in set(members)]
    second = plan(left, storms)
    assert second.new == () or all(s.reason not in {o.reason for o in storms}
                                   for s in second.new)
    # What joined in the second pass shares the storm's reason.
    for storm_id, ids in second.joins.items():
        reason = storms[storm_id - 100].reason
        assert all(reason in candidates[i].keys for i in ids)


@settings(max_examples=100, deadline=None)
@given(incidents_st, st.randoms(use_true_random=False))
def test_the_order_candidates_come_in_changes_no_storm(rows: list, rng: Any) -> None:
    """The pass sorts each key's members itself (by time, then id): shuffled input, or ids
    that do not increase, plan exactly the same storms and joins."""
    candidates = [inc(i, m, *s) for i, (m, s) in enumerate(rows)]
    shuffled = list(candidates)
    rng.shuffle(shuffled)
    assert plan(shuffled, []) == plan(candidates, [])
    opened = plan(candidates, [])
    storms = [OpenStorm(100 + n, s.reason, s.started_at) for n, s in enumerate(opened.new)]
    assert plan(shuffled, storms) == plan(candidates, storms)
    # In detection order, equal instants in falling id order: the no-sort path plans the
    # same, members of equal instants still by id.
    in_order = sorted(candidates, key=lambda c: (c.detected_at, -c.id))
    assert plan(in_order, []) == plan(candidates, [])
    assert plan(in_order, storms) == plan(candidates, storms)
