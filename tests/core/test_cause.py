from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from core.cause import ChangeFacts, suggest
from core.change_keys import format_change_key, parse_change_key

DETECTED = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def change(n: int, hours_before: float, *assets: str) -> ChangeFacts:
    return ChangeFacts(n, n, f"change {n}", assets, DETECTED - timedelta(hours=hours_before))


def test_ranked_by_overlap_then_recency_each_with_why() -> None:
    changes = [change(1, 1, "checkout"), change(2, 0.5, "checkout"),
               change(3, 5, "Checkout", "payments"), change(4, 0.1, "search")]
    out = suggest(["checkout", "payments"], DETECTED, changes)
    assert [s.number for s in out] == [3, 2, 1]
    assert out[0].matched == ("checkout", "payments")
    assert out[0].why == ("Touched checkout, payments (every affected service), started 5 h "
                          "before the incident was detected.")
    assert out[1].why.startswith("Touched checkout (1 of 2 affected services), started 30 min")


def test_only_changes_within_the_look_back_before_detection() -> None:
    changes = [change(1, 25, "api"), change(2, -0.5, "api"), change(3, 23, "api")]
    assert [s.number for s in suggest(["api"], DETECTED, changes)] == [3]
    assert [s.number for s in suggest(["api"], DETECTED, changes,
                                      lookback=timedelta(hours=30))] == [3, 1]


def test_no_services_no_suggestions_and_limit() -> None:
    changes = [change(n, n / 10, "api") for n in range(1, 20)]
    assert suggest([], DETECTED, changes) == []
    assert len(suggest(["api"], DETECTED, changes, limit=3)) == 3


@given(st.lists(st.tuples(st.floats(-5, 30), st.sets(st.sampled_from("abcd"))), max_size=30),
       st.sets(st.sampled_from("abcd"), min_size=1))
def test_every_suggestion_overlaps_and_is_in_the_window(rows: list, services: set) -> None:
    changes = [change(i + 1, h, *a) for i, (h, a) in enumerate(rows)]
    out = suggest(sorted(services), DETECTED, changes, limit=100)
    for s in out:
        c = changes[s.number - 1]
        assert set(s.matched) == set(c.assets) & services
        assert timedelta(0) <= DETECTED - c.started_at <= timedelta(hours=24)
    keys = [(-len(s.matched), s.before) for s in out]
    assert keys == sorted(keys)


def test_change_keys() -> None:
    assert format_change_key(12) == "CHG-0012"
    assert parse_change_key("chg-12") == parse_change_key("CHG-0012") == parse_change_key("12")
