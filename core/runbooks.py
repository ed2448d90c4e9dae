"""Runbook suggestions (WA.7): runbooks whose title or tags match an incident.

Words are compared as terms: lowercase, punctuation dropped, simple plurals folded
(`databases` and `database`, `queries` and `query` meet), common words
ignored. A runbook's terms are computed once when it is saved (`terms_of`), so matching an
incident against thousands of runbooks is set intersections only.
"""

import heapq
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
STOPWORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is",
    "it", "its", "of", "on", "or", "our", "the", "to", "was", "were", "with", "when", "what",
    "how", "do", "does", "not", "no", "down", "up", "out", "we", "you", "this", "that"))
TAG_WEIGHT = 3  # a tag is a deliberate label; a title word may be incidental
DEFAULT_LIMIT = 3


def stem(word: str) -> str:
    """Fold simple English plurals so both forms meet: `caches`/`cache` → `cach`,
    `queries`/`query` → `query`, `boxes`/`box` → `box`. Short words stay as they are."""
    if len(word) <= 3 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s"):
        word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def words(text: str) -> dict[str, str]:
    """Each term of `text`, with the first word that gave it (for saying why it matched)."""
    out: dict[str, str] = {}
    for word in _WORD.findall(text.lower()):
        if word not in STOPWORDS:
            out.setdefault(stem(word), word)
    return out


def terms(text: str) -> frozenset[str]:
    return frozenset(words(text))


@dataclass(frozen=True, slots=True)
class RunbookTerms:
    """What a stored runbook matches on: terms of its title, and of each of its tags."""

    title: frozenset[str]
    tags: frozenset[str]

    def to_json(self) -> dict[str, list[str]]:
        return {"title": sorted(self.title), "tags": sorted(self.tags)}

    @classmethod
    def from_json(cls, data: dict[str, list[str]] | None) -> "RunbookTerms":
        data = data or {}
        return cls(frozenset(data.get("title", ())), frozenset(data.get("tags", ())))


def terms_of(title: str, tags: Iterable[str]) -> RunbookTerms:
    tag_terms: set[str] = set()
    for tag in tags:
        tag_terms |= terms(tag)
    return RunbookTerms(terms(title), frozenset(tag_terms))


def clean_tags(tags: Iterable[str] | str | None) -> list[str]:
    items = tags.split(",") if isinstance(tags, str) else list(tags or [])
    out: list[str] = []
    for tag in items:
        name = " ".join(str(tag).lower().split())
        if name and name not in out:
            out.append(name)
    return out


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    title: str
    terms: RunbookTerms


@dataclass(frozen=True)
class Match:
    id: int
    title: str
    score: int
    matched: tuple[str, ...]  # the incident's words that matched

    @property
    def why(self) -> str:
        return "Matches " + ", ".join(self.matched)


def incident_terms(title: str, services: Iterable[str], description: str = ""
                   ) -> dict[str, str]:
    return words(" ".join([title, *services, description]))


def match(wanted: Mapping[str, str], runbooks: Sequence[Candidate], *,
          limit: int = DEFAULT_LIMIT) -> list[Match]:
    """The best `limit` runbooks for an incident's terms; ties go to the newest runbook."""
    if not wanted or limit <= 0:
        return []
    # A frozenset, not dict keys: set operations between frozensets stay in C, and most
    # runbooks share nothing, which `isdisjoint` says without building a set.
    wanted_set = frozenset(wanted)
    disjoint = wanted_set.isdisjoint
    scored: list[tuple[int, int, Candidate, frozenset[str]]] = []
    for runbook in runbooks:
        terms = runbook.terms
        if disjoint(terms.tags) and disjoint(terms.title):
            continue
        by_tag = wanted_set & terms.tags
        by_title = (wanted_set & terms.title) - by_tag
        scored.append((-(TAG_WEIGHT * len(by_tag) + len(by_title)), -runbook.id, runbook,
                       by_tag | by_title))
    best = heapq.nsmallest(limit, scored, key=lambda row: row[:2])
    return [Match(r.id, r.title, -score, tuple(sorted(wanted[h] for h in hit)))
            for score, _, r, hit in best]
