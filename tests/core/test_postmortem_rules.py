"""The postmortem's pure rules: section names, its status machine, splitting long text for
Slack inputs, durations, and the Slack policy for publishing."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import IllegalTransition, InvalidInput
from core.events import IncidentFacts, PostmortemStatusChanged
from core.fsm import Status
from core.policies import slack
from core.postmortem import (
    INPUTS,
    MAX_SECTION,
    SLACK_INPUT,
    PmMove,
    PmStatus,
    Section,
    apply_pm_move,
    join_inputs,
    milestones,
    parse_section,
    split_for_inputs,
)
from core.severity import Severity
from core.validation import WorkspaceSettings


@given(st.text(alphabet=st.sampled_from("ab \n"), max_size=MAX_SECTION))
def test_split_fits_one_modal_and_keeps_every_character(text: str) -> None:
    pieces = split_for_inputs(text)
    assert all(len(p) <= SLACK_INPUT for p in pieces) and len(pieces) <= INPUTS
    joined = join_inputs(pieces)
    assert "".join(joined.split()) == "".join(text.split())  # nothing lost or reordered


def test_even_the_worst_section_fits_the_modal() -> None:
    worst = ("x" * 2699 + " ") * 5  # whitespace just before each piece's floor
    assert len(split_for_inputs(worst[:MAX_SECTION])) <= INPUTS
    unbroken = "y" * MAX_SECTION
    assert join_inputs(split_for_inputs(unbroken)).replace("\n", "") == unbroken


def test_text_with_line_breaks_round_trips_exactly() -> None:
    text = "\n".join(f"line {n} " + "w" * 50 for n in range(200))
    assert join_inputs(split_for_inputs(text)) == text


def test_sections_and_status_machine() -> None:
    assert parse_section("root cause") == Section.ROOT_CAUSE
    assert parse_section("lessons") == Section.LESSONS
    with pytest.raises(InvalidInput, match="Sections: summary"):
        parse_section("epilogue")
    assert apply_pm_move(PmStatus.DRAFT, PmMove.REVIEW) == PmStatus.IN_REVIEW
    assert apply_pm_move(PmStatus.IN_REVIEW, PmMove.PUBLISH) == PmStatus.PUBLISHED
    with pytest.raises(IllegalTransition, match="review first"):
        apply_pm_move(PmStatus.DRAFT, PmMove.PUBLISH)
    with pytest.raises(IllegalTransition, match="published"):
        apply_pm_move(PmStatus.PUBLISHED, PmMove.BACK_TO_DRAFT)


def test_milestones_measure_from_the_last_one_that_happened() -> None:
    t0 = datetime(2026, 12, 1, 2, 58, tzinfo=UTC)
    stones = milestones(t0, None, t0 + timedelta(minutes=20), t0 + timedelta(hours=2))
    assert [s.since_previous for s in stones] == [None, None, timedelta(minutes=20),
                                                 timedelta(minutes=100)]


def event(new: str) -> PostmortemStatusChanged:
    facts = IncidentFacts(id=1, workspace_id=1, number=1, title="x", severity=Severity.P1,
                          status=Status.POST_MORTEM)
    return PostmortemStatusChanged(workspace_id=1, source="slack", incident=facts,
                                   actor="Alice", event_id=7, old="in_review", new=new)


def test_publishing_is_announced_in_slack_and_review_is_not() -> None:
    settings = WorkspaceSettings()
    [spec] = slack.policy(event("published"), settings)
    assert spec.kind == "slack.announce" and spec.facts["event"] == "postmortem_status_changed"
    assert slack.policy(event("in_review"), settings) == []
