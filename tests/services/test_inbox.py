"""The shared inbox machinery: per-subject order across takers, sources kept apart, counts."""

from datetime import timedelta

from services import inbox
from store.db import Database
from store.inbox_models import QUARANTINED, WEBHOOK
from store.types import utcnow


def webhook(key: str, subject: str | None) -> dict[str, object]:
    return {"source": "pagerduty", "delivery_key": f"pagerduty:{key}", "team_id": "",
            "kind": WEBHOOK, "body": "{}", "content_type": "application/json",
            "locked_until": None, "subject": subject}


def test_rows_of_one_subject_go_to_one_taker_in_order(db: Database) -> None:
    ids = inbox.record(db, [webhook("a1", "PD-A"), webhook("b1", "PD-B"),
                            webhook("a2", "PD-A"), webhook("n1", None)])
    first = inbox.claim_in_order(db, "pagerduty", WEBHOOK, limit=1, lease=60)
    assert [d.delivery_key for d in first] == ["pagerduty:a1"]
    # Another taker meanwhile: PD-A's next row waits for the first; the rest are free.
    second = inbox.claim_in_order(db, "pagerduty", WEBHOOK, limit=10, lease=60)
    assert [d.delivery_key for d in second] == ["pagerduty:b1", "pagerduty:n1"]
    inbox.done(db, [first[0].id])
    third = inbox.claim_in_order(db, "pagerduty", WEBHOOK, limit=10, lease=60)
    assert [d.id for d in third] == [ids["pagerduty:a2"]]


def test_a_row_waiting_for_its_retry_holds_back_the_later_rows_of_its_subject(
        db: Database) -> None:
    inbox.record(db, [webhook("a1", "PD-A"), webhook("a2", "PD-A")])
    [taken] = inbox.claim_in_order(db, "pagerduty", WEBHOOK, limit=1, lease=60)
    assert inbox.failed(db, taken, "PagerDuty hiccup") == "pending"  # backs off
    assert inbox.claim_in_order(db, "pagerduty", WEBHOOK, limit=10, lease=60) == []
    later = utcnow() + timedelta(seconds=5)
    assert [d.delivery_key for d in inbox.claim_in_order(
        db, "pagerduty", WEBHOOK, limit=10, lease=60, now=later)] == ["pagerduty:a1",
                                                                    "pagerduty:a2"]


def test_sources_are_counted_and_listed_apart_and_quarantine_logs_its_source(
        db: Database) -> None:
    inbox.record(db, [webhook("a1", "PD-A"),
                      {"delivery_key": "event:T1:Ev1", "team_id": "T1", "kind": "message",
                       "body": "{}", "content_type": "application/json",
                       "locked_until": None}])
    assert inbox.counts(db) == {"pagerduty": {"pending": 1}, "slack": {"pending": 1}}
    [taken] = inbox.claim_in_order(db, "pagerduty", WEBHOOK, limit=1, lease=60)
    for _ in range(inbox.MAX_ATTEMPTS):
        status = inbox.failed(db, taken, "ValueError: boom")
        taken = inbox.claim_in_order(db, "pagerduty", WEBHOOK, limit=1, lease=60,
                                     now=utcnow() + timedelta(hours=1))[0] if (
            status != QUARANTINED) else taken
    assert status == QUARANTINED
    [listed] = inbox.listing(db, source="pagerduty")
    assert listed.source == "pagerduty" and listed.last_error == "ValueError: boom"
    assert inbox.listing(db, source="slack") == []
    assert inbox.counts(db)["pagerduty"] == {"quarantined": 1}
