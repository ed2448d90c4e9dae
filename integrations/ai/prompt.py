"""What the model is told, and what of its answer we accept.

The prompt carries only this incident's own record (its facts, lifecycle, who wrote what,
the latest notes): never another incident, workspace or person's data. The answer must be a
JSON object with the three sections as strings; anything else is refused with a reason a
person can act on, and the draft from the record stays.
"""

import json
import re
from typing import Any

from core.postmortem import AI_SECTIONS, MAX_SECTION, Section, impact_lines
from core.postmortem_draft import DraftFacts

MAX_PROMPT_NOTES = 8_000  # characters of timeline notes sent along
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)

SYSTEM = (
    "You write the first draft of an incident postmortem for the engineers who handled it. "
    "Use only the facts you are given; say 'unknown' rather than guess. Be blameless, "
    "specific and brief. Answer with one JSON object and nothing else, with three string "
    'fields: "summary" (what happened and its impact, a short paragraph), "root_cause" '
    '(the underlying cause, as far as the record shows) and "contributing_factors" (a '
    "bulleted list as one string, one '- ' line per factor).")


class BadAnswer(ValueError):
    """The model answered, but not something we can use as a draft."""


def messages(facts: DraftFacts) -> list[dict[str, str]]:
    record: dict[str, Any] = {
        "incident": facts.key, "title": facts.title,
        "severity": f"{facts.severity} ({facts.severity_label})",
        "services": list(facts.services), "description": facts.description,
        "root_cause_typed_at_resolve": facts.root_cause, "linked_change": facts.change,
        "commander": facts.commander, "durations": impact_lines(list(facts.stones)),
        "lifecycle": [f"{e.at:%Y-%m-%d %H:%M} UTC {e.text}" for e in facts.key_events],
        "who_wrote_on_the_timeline": [f"{name}: {count} entries"
                                      for name, count in facts.actors],
        "notes": _notes(facts),
    }
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": "The incident's record:\n"
                                        + json.dumps(record, ensure_ascii=False, indent=1)}]


def _notes(facts: DraftFacts) -> list[str]:
    out: list[str] = []
    used = 0
    for note in reversed(facts.notes):  # the latest matter most when the budget runs out
        line = f"{note.at:%H:%M} {note.actor or 'someone'}: {note.text}"
        if used + len(line) > MAX_PROMPT_NOTES:
            break
        out.append(line)
        used += len(line)
    return list(reversed(out))


def parse(content: str | None) -> dict[Section, str]:
    text = _FENCE.sub("", (content or "").strip())
    if not text:
        raise BadAnswer("the model's answer was empty")
    try:
        data = json.loads(text)
    except ValueError:
        raise BadAnswer("the model did not answer with JSON") from None
    if not isinstance(data, dict):
        raise BadAnswer("the model's answer was not a JSON object")
    drafts: dict[Section, str] = {}
    for section in AI_SECTIONS:
        value = data.get(section.value)
        if value is None:
            continue
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "\n".join(f"- {v}" for v in value)
        if not isinstance(value, str):
            raise BadAnswer(f"'{section.value}' in the model's answer was not text")
        if len(value) > MAX_SECTION:
            raise BadAnswer(f"'{section.value}' in the model's answer was {len(value):,} "
                            f"characters, more than a section holds ({MAX_SECTION:,})")
        if value.strip():
            drafts[section] = value.strip()
    if not drafts:
        raise BadAnswer("the model's answer had none of summary, root_cause, "
                        "contributing_factors")
    return drafts
