"""The registry: one handler per effect kind, or a reason it is off, checked at start-up."""

import pytest

from core import effects as fx
from integrations.outbox import Effect
from integrations.registry import Disabled, Registry, RegistryError
from integrations.slack import Slack, SlackSettings
from store.db import Database


def deliver(effect: Effect) -> str:
    return "ok"


class Pager:
    """A hand-written integration, on, handling what it is given."""

    def __init__(self, handled: set[str], name: str = "pagerduty") -> None:
        self.name = name
        self.settings = SlackSettings(bot_token="x", signing_secret="y")  # any enabled settings
        self.kinds = frozenset({fx.PAGERDUTY_TRIGGER, fx.PAGERDUTY_RESOLVE})
        self.handled = handled
        self.started = 0

    def handlers(self) -> dict[str, object]:
        return {kind: deliver for kind in sorted(self.handled)}  # set order varies per run

    def start(self) -> None:
        self.started += 1

    def stop(self) -> None:
        return None


def others() -> list[Disabled]:
    return [Disabled("twilio", {fx.TWILIO_PAGE}, "not configured (TWILIO_ACCOUNT_SID unset)"),
            Disabled("statuspage", {fx.STATUSPAGE_PUBLISH, fx.STATUSPAGE_RESOLVE}, "off"),
            Disabled("ai", {fx.AI_DRAFT_POSTMORTEM}, "off")]


def slack(db: Database, **settings: str) -> Slack:
    return Slack(SlackSettings(**settings), db)  # type: ignore[arg-type]


def test_every_kind_has_a_handler_or_a_reason(sqlite_url: str) -> None:
    db = Database.from_url(sqlite_url)
    pager = Pager({fx.PAGERDUTY_TRIGGER, fx.PAGERDUTY_RESOLVE})
    registry = Registry([slack(db), pager, *others()])  # type: ignore[list-item]
    assert set(registry.handlers) == {fx.PAGERDUTY_TRIGGER, fx.PAGERDUTY_RESOLVE}
    assert registry.off[fx.SLACK_ANNOUNCE] == (
        "slack is off: not configured (SLACK_BOT_TOKEN unset)")
    assert registry.off[fx.TWILIO_PAGE] == (
        "twilio is off: not configured (TWILIO_ACCOUNT_SID unset)")
    assert set(registry.handlers) | set(registry.off) == fx.KINDS
    registry.start()
    registry.start()  # started once, not twice
    assert pager.started == 1 and registry.waiting == []


def test_a_kind_nobody_handles_fails_start_up_in_one_line(sqlite_url: str) -> None:
    db = Database.from_url(sqlite_url)
    with pytest.raises(RegistryError) as missing:
        Registry([slack(db), *others()])  # pagerduty forgotten
    assert str(missing.value) == (
        "effect kind pagerduty.resolve has no handler and no integration that says why it "
        "is off (add pagerduty to the integrations list in vigilo/integrations.py)")
    with pytest.raises(RegistryError, match="pagerduty is on but has no handler for effect "
                                            "kind pagerduty.trigger"):
        Registry([slack(db), Pager({fx.PAGERDUTY_RESOLVE}), *others()])  # type: ignore[list-item]


def test_two_handlers_for_one_kind_fail_start_up(sqlite_url: str) -> None:
    db = Database.from_url(sqlite_url)
    on = {"bot_token": "xoxb-1", "signing_secret": "s"}
    both = {fx.PAGERDUTY_TRIGGER, fx.PAGERDUTY_RESOLVE}
    with pytest.raises(RegistryError, match="^two handlers for effect kind slack.create_channel: "
                                            "slack and slack$"):
        Registry([slack(db, **on), slack(db, **on), Pager(both), *others()])  # type: ignore[list-item]
    with pytest.raises(RegistryError, match="two handlers for effect kind pagerduty.resolve: "
                                            "pagerduty and pd2"):
        Registry([slack(db), Pager(both), Pager(both, "pd2"), *others()])  # type: ignore[list-item]
    with pytest.raises(RegistryError, match="integration twilio is registered twice"):
        Registry([slack(db), Pager(both), *others(), others()[0]])  # type: ignore[list-item]


def test_a_handler_for_an_unknown_kind_fails_start_up(sqlite_url: str) -> None:
    db = Database.from_url(sqlite_url)
    pager = Pager({fx.PAGERDUTY_TRIGGER, fx.PAGERDUTY_RESOLVE, "pagerduty.snooze"})
    with pytest.raises(RegistryError, match="pagerduty handles pagerduty.snooze, which is not "
                                            "an effect kind in core.effects"):
        Registry([slack(db), pager, *others()])  # type: ignore[list-item]
