"""`vigilo inbox list|retry`: operators see quarantined Slack deliveries and retry them."""

import json

import pytest

from services import inbox
from store import migrate
from store.db import Database
from store.inbox_models import MESSAGE, PENDING, QUARANTINED, InboxRow
from vigilo.cli import main


def test_quarantined_deliveries_are_listed_and_retried(db_url: str,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    migrate.upgrade(db_url)
    db = Database.from_url(db_url)
    ids = inbox.record(db, [{"delivery_key": "event:T1:Ev1", "team_id": "T1", "kind": MESSAGE,
                             "body": '{"type": "event_callback", "event": {"type": "message",'
                                     ' "channel": "C1", "ts": "1.0"}}',
                             "content_type": "application/json", "locked_until": None}])
    [claimed] = inbox.claim(db, MESSAGE, limit=10, lease=30)
    for _ in range(inbox.MAX_ATTEMPTS):
        inbox.failed(db, claimed, "value too long for type character varying(200)")
        with db.transaction() as session:  # as if each failure were a fresh attempt
            row = session.get(InboxRow, ids["event:T1:Ev1"])
            assert row is not None
            row.attempts += 1
    assert inbox.listing(db)[0].status == QUARANTINED

    assert main(["inbox", "list"]) == 0
    out = capsys.readouterr().out
    assert "slack 1 quarantined" in out and "message" in out and "varying(200)" in out
    assert "event_callback message C1 1.0" in out
    assert main(["inbox", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["deliveries"][0]["id"] == ids["event:T1:Ev1"]
    assert main(["inbox", "retry", str(ids["event:T1:Ev1"])]) == 0
    assert inbox.listing(db, status=None)[0].status == PENDING
    assert main(["inbox", "retry", "999"]) == 2
    assert "No inbox delivery #999" in capsys.readouterr().err
    db.dispose()
