"""The App Home tab: grouped by status, and inside Slack's limits however many incidents."""

from datetime import timedelta
from typing import Any

from sqlalchemy import insert

from core.fsm import Move, Status
from core.permissions import Role
from services import incidents
from store.models import Incident
from store.types import utcnow
from tests.bot_harness import Slack, slack_fixture  # noqa: F401

MAX_BLOCKS = 100
MAX_SECTION = 3000


def open_home(slack: Slack, user: str, tab: str = "home") -> dict[str, Any] | None:
    slack.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": tab,
                 "event_ts": "1.0"})
    return slack.fake.home_view(user)


def texts(view: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]


def test_home_groups_incidents_by_status(slack: Slack) -> None:
    actor = slack.world.actor()
    for title, severity in (("Checkout down", "p1"), ("Slow search", "p3"),
                            ("Queue backlog", "p2"), ("Old outage", "p4")):
        incidents.declare(slack.db, actor, title=title, severity=severity)
    incidents.transition(slack.db, actor, 3, Move.INVESTIGATE)
    incidents.transition(slack.db, actor, 4, Move.INVESTIGATE)
    incidents.transition(slack.db, actor, 4, Move.RESOLVE)
    slack.drain()
    view = open_home(slack, slack.uid())
    assert view is not None and view["type"] == "home"
    lines = texts(view)
    headings = [t for t in lines if t.startswith("*") and t.endswith(")")]
    assert headings == ["*Open* (2)", "*Investigating* (1)", "*Recently resolved (7 days)* (1)"]
    assert lines.index("*Open* (2)") < next(i for i, t in enumerate(lines) if "Checkout" in t)
    checkout = next(t for t in lines if "Checkout down" in t)
    assert "🔴 P1" in checkout and "Engineer" in checkout and "<#C" in checkout
    assert "INC-0001>" in checkout and "/ws/acme/incidents/INC-0001" in checkout
    p1, p3 = (lines.index(next(t for t in lines if name in t))
              for name in ("Checkout down", "Slow search"))
    assert p1 < p3  # most severe first
    buttons = [e["action_id"] for b in view["blocks"] if b["type"] == "actions"
               for e in b["elements"]]
    assert buttons == ["home_declare", "link_web_list"]
    assert open_home(slack, slack.uid(Role.ADMIN), tab="messages") is None


def test_home_with_a_thousand_open_incidents_stays_within_slacks_limits(slack: Slack) -> None:
    commander = slack.world.members[Role.ENGINEER].id
    now = utcnow()
    title = "&<>" * 66  # escaping triples its length: the worst case for a section
    rows: list[dict[str, Any]] = [{"workspace_id": slack.world.ws_id, "number": n, "title": title,
             "severity": f"p{1 + n % 4}", "status": Status.OPEN.value,
             "commander_id": commander, "created_by_id": commander, "services": [],
             "detected_at": now, "created_at": now - timedelta(minutes=n), "updated_at": now,
             "slack_channel_id": f"C{n:08d}"} for n in range(1, 1001)]
    rows += [{**rows[0], "number": 1000 + n, "status": status, "slack_channel_id": None,
              "resolved_at": now if status == "resolved" else None}
             for n, status in enumerate(["investigating"] * 30 + ["mitigated"] * 30
                                        + ["resolved"] * 30, start=1)]
    with slack.db.transaction() as session:
        session.execute(insert(Incident), rows)
    view = open_home(slack, slack.uid())
    assert view is not None, slack.fake.calls_to("views.publish")
    assert len(view["blocks"]) <= MAX_BLOCKS
    assert all(len(t) <= MAX_SECTION for t in texts(view))
    overflow = [e["text"] for b in view["blocks"] if b["type"] == "context"
                for e in b["elements"]]
    assert any("980 more open" in t for t in overflow)
    assert any("25 more recently resolved" in t for t in overflow)
    assert all("http://vigilo.test/ws/acme/incidents|" in t for t in overflow)
    assert "1060 active" in view["blocks"][0]["text"]["text"]
