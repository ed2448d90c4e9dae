"""What responders read in Slack: the title once, the README's command names, plain ages."""

import json
from datetime import timedelta

from bot import render
from integrations.slack.blocks import ClosingFacts, IncidentCard, closing_summary, situation_report
from store.models import Incident
from store.types import utcnow

CARD = IncidentCard(key="INC-0042", title="Checkout is down", severity="p1",
                    status="investigating", url="https://v.example/ws/acme/incidents/INC-0042",
                    commander="Dana")


def test_the_situation_report_shows_the_title_once() -> None:
    text, blocks = situation_report(CARD)
    assert json.dumps(blocks, ensure_ascii=False).count("Checkout is down") == 1
    assert blocks[0]["type"] == "header" and "Checkout is down" in blocks[0]["text"]["text"]
    assert "Checkout is down" in text  # the notification still says what it is about


def test_the_closing_summary_names_the_cause_command_and_reads_the_duration() -> None:
    text, blocks = closing_summary(CARD, ClosingFacts(timedelta(minutes=41, seconds=5), None,
                                                      12, 3, 0, 0))
    dumped = json.dumps(blocks)
    assert "`/vigilo cause <text>`" in dumped and "rootcause" not in dumped
    assert text == "INC-0042 investigating after 41 min"


def test_home_lines_say_how_long_ago_in_words() -> None:
    now = utcnow()
    for age, words in ((timedelta(seconds=8), "declared just now"),
                       (timedelta(minutes=12), "declared 12 min ago"),
                       (timedelta(hours=3, minutes=5), "declared 3 h 5 min ago")):
        incident = Incident(workspace_id=1, number=42, title="Checkout is down", severity="p1",
                            status="investigating", created_at=now - age)
        line = render.incident_line(incident, "INC-0042", CARD.url, "Dana", now)
        assert f" · {words} · " in line, line
