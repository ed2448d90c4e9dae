import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.runbooks import Candidate, clean_tags, incident_terms, match, stem, terms, terms_of, words


def rb(i: int, title: str, *tags: str) -> Candidate:
    return Candidate(i, title, terms_of(title, tags))


def test_case_plurals_and_punctuation_do_not_matter() -> None:
    books = [rb(1, "Database failover"), rb(2, "Restart the search cluster"),
             rb(3, "Payment queue backlog", "payments", "queues")]
    wanted = incident_terms("DATABASES down!!", ["checkout"], "")
    assert [m.id for m in match(wanted, books)] == [1]
    wanted = incident_terms("Checkout slow", ["payment"], "the queue is backed up.")
    found = match(wanted, books)
    assert found[0].id == 3 and found[0].matched == ("payment", "queue")
    assert found[0].why == "Matches payment, queue"
    found = match(incident_terms("Caches cold", []), [rb(9, "Warm the cache")])
    assert found[0].matched == ("caches",)


def test_tags_weigh_more_than_title_words_and_limit() -> None:
    books = [rb(1, "Redis notes"), rb(2, "Cache runbook", "redis"), rb(3, "unrelated")]
    found = match(incident_terms("Redis latency", []), books)
    assert [m.id for m in found] == [2, 1]
    assert match(incident_terms("Redis", []), books, limit=1)[0].id == 2


def test_stopwords_alone_match_nothing() -> None:
    assert match(incident_terms("The", [], "is it down?"), [rb(1, "Is the site down")]) == []


@pytest.mark.parametrize(("word", "stemmed"), [
    ("queries", "query"), ("query", "query"), ("databases", "databas"),
    ("database", "databas"), ("caches", "cach"), ("cache", "cach"), ("status", "status"),
    ("dns", "dns"), ("boxes", "box"), ("box", "box"), ("access", "access"), ("uses", "use")])
def test_stem(word: str, stemmed: str) -> None:
    assert stem(word) == stemmed


def test_clean_tags() -> None:
    assert clean_tags(" DB , db,, Payments ") == ["db", "payments"]


@given(st.text(max_size=200))
def test_terms_of_any_text_round_trip_and_self_match(text: str) -> None:
    rt = terms_of(text, [])
    found = match(words(text), [Candidate(1, text, rt)])
    assert bool(found) == bool(terms(text))
