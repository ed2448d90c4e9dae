"""Rows written by one prebuilt INSERT: their values are the model's, defaults included."""

from datetime import timedelta

import pytest

from services.records import row_values, values_of
from store.models import AuditLog, Outbox
from store.types import utcnow


def test_values_of_fills_in_what_the_model_would() -> None:
    given = {"workspace_id": 1, "incident_id": 2, "kind": "slack.create_channel",
             "idempotency_key": "slack.create_channel:2:x", "lane": "slack:2"}
    made = values_of(Outbox, **given)
    orm = row_values(Outbox(**given))
    stamps = ("created_at", "next_attempt_at")
    assert {k: v for k, v in made.items() if k not in stamps} == {
        k: v for k, v in orm.items() if k not in stamps}
    assert made["status"] == "pending" and made["attempts"] == 0 and made["payload"] == {}
    assert all(abs(made[k] - utcnow()) < timedelta(seconds=5) for k in stamps)
    assert values_of(Outbox, **given)["payload"] is not made["payload"]  # a new one each time
    assert values_of(AuditLog, workspace_id=1, action="x", detail={"a": 1})["detail"] == {"a": 1}
    with pytest.raises(TypeError, match="AuditLog.action needs a value"):
        values_of(AuditLog, workspace_id=1)
