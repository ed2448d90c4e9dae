"""The postmortem's rules: its sections, its status machine, its durations, its text limits.

Pure: the services feed it rows turned into values, and every surface (Slack, web, Markdown)
reads the same section names, titles and milestones from here.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.errors import IllegalTransition, InvalidInput


class Section(StrEnum):
    """The sections a person writes. The timeline and the action items are records."""

    SUMMARY = "summary"
    IMPACT = "impact"
    ROOT_CAUSE = "root_cause"
    CONTRIBUTING = "contributing_factors"
    LESSONS = "lessons_learned"

    @property
    def heading(self) -> str:
        return TITLES[self]


TITLES = {Section.SUMMARY: "Summary", Section.IMPACT: "Impact",
          Section.ROOT_CAUSE: "Root cause", Section.CONTRIBUTING: "Contributing factors",
          Section.LESSONS: "Lessons learned"}
SECTIONS = tuple(Section)
# The document's order, written sections and records together.
OUTLINE = ("summary", "impact", "root_cause", "contributing_factors", "timeline",
           "action_items", "lessons_learned")
AI_SECTIONS = (Section.SUMMARY, Section.ROOT_CAUSE, Section.CONTRIBUTING)

MAX_SECTION = 12_000
SLACK_INPUT = 3_000  # Slack caps a plain_text_input at 3,000 characters
SLACK_CUT = 300  # a piece ends at whitespace found within its last 300 characters
# Every piece but the last holds at least SLACK_INPUT - SLACK_CUT characters, so a whole
# section always fits in this many inputs of one modal.
INPUTS = -(-MAX_SECTION // (SLACK_INPUT - SLACK_CUT))


def parse_section(text: str | None) -> Section:
    value = (text or "").strip().lower().replace("-", "_").replace(" ", "_")
    aliases = {"cause": Section.ROOT_CAUSE, "rootcause": Section.ROOT_CAUSE,
               "contributing": Section.CONTRIBUTING, "factors": Section.CONTRIBUTING,
               "lessons": Section.LESSONS}
    if value in aliases:
        return aliases[value]
    try:
        return Section(value)
    except ValueError:
        names = ", ".join(s.value for s in Section)
        raise InvalidInput(f"Unknown postmortem section '{text}'. Sections: {names}.",
                           field="section") from None


class PmStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class PmMove(StrEnum):
    REVIEW = "review"
    PUBLISH = "publish"
    BACK_TO_DRAFT = "draft"


# move -> (statuses it may start from, the status it leads to)
PM_TRANSITIONS: dict[PmMove, tuple[frozenset[PmStatus], PmStatus]] = {
    PmMove.REVIEW: (frozenset({PmStatus.DRAFT}), PmStatus.IN_REVIEW),
    PmMove.PUBLISH: (frozenset({PmStatus.IN_REVIEW}), PmStatus.PUBLISHED),
    PmMove.BACK_TO_DRAFT: (frozenset({PmStatus.IN_REVIEW}), PmStatus.DRAFT),
}


def apply_pm_move(status: PmStatus, move: PmMove) -> PmStatus:
    sources, target = PM_TRANSITIONS[move]
    if status not in sources:
        hint = {PmStatus.DRAFT: "send it for review first (/vigilo postmortem review)",
                PmStatus.IN_REVIEW: "publish it, or send it back to draft",
                PmStatus.PUBLISHED: "it is published: the record stays as it is"}[status]
        raise IllegalTransition(f"Cannot {move.value} the postmortem: it is {status.label}; "
                                f"{hint}.")
    return target


def check_editable(status: PmStatus) -> None:
    if status == PmStatus.PUBLISHED:
        raise IllegalTransition("The postmortem is published: the record stays as it is.")


def clean_section(text: str | None) -> str:
    value = (text or "").strip()
    if len(value) > MAX_SECTION:
        raise InvalidInput(f"The section is {len(value):,} characters; the limit is "
                           f"{MAX_SECTION:,}. Link a longer write-up instead.", field="text")
    return value


# --- durations ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Milestone:
    name: str  # detected, acknowledged, mitigated, resolved
    at: datetime | None
    since_previous: timedelta | None  # from the last milestone that happened


def milestones(detected: datetime, acknowledged: datetime | None, mitigated: datetime | None,
               resolved: datetime | None) -> list[Milestone]:
    """detected → acknowledged → mitigated → resolved, each with the wait since the last."""
    out: list[Milestone] = []
    previous = None
    for name, at in (("detected", detected), ("acknowledged", acknowledged),
                     ("mitigated", mitigated), ("resolved", resolved)):
        since = at - previous if at is not None and previous is not None else None
        out.append(Milestone(name, at, since))
        if at is not None:
            previous = at
    return out


def span_text(span: timedelta | None) -> str:
    if span is None:
        return "—"
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def when_text(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "—"


def impact_lines(stones: list[Milestone]) -> list[str]:
    """The durations as sentences, for every surface."""
    lines = []
    for stone in stones:
        if stone.at is None:
            lines.append(f"{stone.name.capitalize()}: not yet")
        elif stone.since_previous is None:
            lines.append(f"{stone.name.capitalize()}: {when_text(stone.at)}")
        else:
            lines.append(f"{stone.name.capitalize()}: {when_text(stone.at)} "
                         f"(+{span_text(stone.since_previous)})")
    first, last = stones[0].at, stones[-1].at
    if first is not None and last is not None:
        lines.append(f"Detected to resolved: {span_text(last - first)}")
    return lines


# --- splitting long text across Slack inputs ---------------------------------------------

def split_for_inputs(text: str, size: int = SLACK_INPUT) -> list[str]:
    """Pieces of at most `size` characters that `join_inputs` puts back together.

    A piece ends at a line break near its end where there is one (dropped here, restored by
    the join), else at a space (which the join turns into a line break). Only a run of
    `SLACK_CUT` characters without whitespace is cut mid-word, and the join then puts a
    line break there. No character other than that whitespace is ever dropped or moved.
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > size:
        window = rest[: size + 1]
        floor = size - SLACK_CUT
        cut = window.rfind("\n")
        if cut < floor:
            cut = window.rfind(" ")
        if cut < floor:
            pieces.append(rest[:size])
            rest = rest[size:]
            continue
        pieces.append(rest[:cut])
        rest = rest[cut + 1:]
    pieces.append(rest)
    return pieces


def join_inputs(parts: list[str]) -> str:
    kept = [p for p in parts if p]
    return "\n".join(kept)
