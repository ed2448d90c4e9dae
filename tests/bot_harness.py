"""Shared set-up for the bot tests: the real ASGI app, signed Slack requests, a fake Slack.

`Slack` builds Vigilo with `vigilo.app.build` against the `world` workspace ("acme", one member
per role), linked at start-up to the sandbox team by `auth.test`. Requests go through
Starlette's TestClient, signed like Slack signs them; background work (replies, modals,
captures) is awaited with `bot.wait_idle()`, and the outbox is drained on demand.
"""

import itertools
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from bot.runtime import Bot
from core.permissions import Role
from tests.conftest import World
from vigilo.app import Vigilo, build
from vigilo.sandbox.signing import (
    block_action,
    event_callback,
    message_event,
    sign,
    slash_command,
)
from vigilo.sandbox.slack_api import FakeSlack
from vigilo.sandbox.slack_model import TEAM_ID
from vigilo.settings import Settings

SECRET = "secret"
TOKEN = "xoxb-test"
BASE_URL = "http://vigilo.test"
_ids = itertools.count(1)


def mention(user_id: str, name: str = "someone") -> str:
    return f"<@{user_id}|{name}>"


class Slack:
    """One Vigilo app and the fake Slack it talks to, driven like Slack drives it."""

    def __init__(self, world: World, fake: FakeSlack) -> None:
        self.world = world
        self.fake = fake
        for role, member in world.members.items():
            fake.add_user(member.slack_user_id, role.value, member.display_name,
                          is_admin=role == Role.ADMIN, is_owner=role == Role.OWNER)
        for member in world.members_extra:
            fake.add_user(member.slack_user_id, member.display_name.lower().replace(" ", ""),
                          member.display_name)
        settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=fake.base_url, base_url=BASE_URL, workspace="acme")
        self.vigilo: Vigilo = build(settings, db=world.db, run_worker=False)
        self.vigilo.start()  # auth.test links the sandbox team to "acme", as the lifespan would
        assert self.vigilo.asgi is not None and self.vigilo.slack is not None
        self.http = TestClient(self.vigilo.asgi)
        self.bot: Bot = self.vigilo.slack.bot
        self.bot.channel_wait = 0.0  # tests drain the outbox themselves

    @property
    def db(self) -> Any:
        return self.world.db

    def uid(self, role: Role = Role.ENGINEER) -> str:
        return self.world.members[role].slack_user_id

    # --- sending -----------------------------------------------------------------------
    def post(self, body: bytes, content_type: str, headers: dict[str, str] | None = None,
             *, secret: str = SECRET, ts: int | None = None) -> Any:
        signed = sign(secret, body, ts)
        response = self.http.post("/slack/events", content=body,
                                  headers={"Content-Type": content_type, **signed,
                                           **(headers or {})})
        assert self.bot.wait_idle(10), "background Slack work did not finish"
        return response

    def command(self, text: str, *, role: Role = Role.ENGINEER, user: str | None = None,
                channel: str = "CGENERAL") -> list[dict[str, Any]]:
        """Run `/vigilo <text>`; returns what was posted to its response_url."""
        name = f"cmd-{next(_ids)}"
        body, ctype = slash_command(text, user_id=user or self.uid(role), user_name="someone",
                                    channel_id=channel, response_url=self.fake.response_url(name),
                                    trigger_id=f"trigger-{name}")
        response = self.post(body, ctype)
        assert response.status_code == 200, response.text
        return self.fake.responses(name)

    def reply(self, text: str, **kwargs: Any) -> str:
        """The one ephemeral reply's text."""
        replies = self.command(text, **kwargs)
        assert len(replies) == 1, replies
        assert replies[0]["response_type"] == "ephemeral"
        return str(replies[0]["text"])

    def click(self, action_id: str, value: str, *, role: Role = Role.ENGINEER,
              user: str | None = None, channel: str = "CGENERAL") -> list[dict[str, Any]]:
        name = f"click-{next(_ids)}"
        body, ctype = block_action(action_id, value, user_id=user or self.uid(role),
                                   user_name="someone", channel_id=channel,
                                   response_url=self.fake.response_url(name))
        response = self.post(body, ctype)
        assert response.status_code == 200, response.text
        return self.fake.responses(name)

    def submit(self, view: dict[str, Any], values: dict[str, Any], *,
               role: Role = Role.ENGINEER, user: str | None = None) -> Any:
        """Submit a modal (as opened in the fake) with `values` as its state."""
        payload = {"type": "view_submission", "team": {"id": TEAM_ID, "domain": "sandbox"},
                   "user": {"id": user or self.uid(role), "team_id": TEAM_ID},
                   "api_app_id": "A0VIGILO", "trigger_id": f"trigger-view-{next(_ids)}",
                   "view": {**view, "state": {"values": values}}}
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded")

    def event(self, event: dict[str, Any], *, event_id: str | None = None,
              retry: int | None = None) -> Any:
        body, ctype = event_callback(event, event_id=event_id or f"Ev{next(_ids)}")
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"
                   } if retry else None
        response = self.post(body, ctype, headers)
        assert response.status_code == 200, response.text
        return response

    def say(self, channel: str, user: str, text: str, ts: str | None = None, **extra: Any
            ) -> str:
        ts = ts or f"{time.time():.6f}"
        self.event({**message_event(channel, user, text, ts), **extra})
        return ts

    # --- looking ---------------------------------------------------------------------
    def drain(self) -> int:
        return self.vigilo.worker.drain()

    def last_view(self) -> dict[str, Any]:
        opened = self.fake.calls_to("views.open")
        assert opened, "no modal was opened"
        view_id = _stored_id(self.fake, opened[-1].params["view"])
        stored = self.fake.view(view_id)
        assert stored is not None
        return stored

    def close(self) -> None:
        self.vigilo.stop()
        self.http.close()


def _stored_id(fake: FakeSlack, view: dict[str, Any]) -> str:
    """The id the fake gave the last view opened with this callback id."""
    found = [v for v in fake.state.views.views.values()
             if v["callback_id"] == view.get("callback_id")]
    return str(found[-1]["id"])


def value(text: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": text}}


def option(chosen: str) -> dict[str, Any]:
    return {"value": {"type": "static_select", "selected_option": {"value": chosen}}}


def users(*ids: str) -> dict[str, Any]:
    return {"value": {"type": "multi_users_select", "selected_users": list(ids)}}


def user(user_id: str) -> dict[str, Any]:
    return {"value": {"type": "users_select", "selected_user": user_id}}


def when(stamp: float) -> dict[str, Any]:
    return {"value": {"type": "datetimepicker", "selected_date_time": int(stamp)}}


@pytest.fixture(name="slack")
def slack_fixture(world: World) -> Iterator[Slack]:
    with FakeSlack(TOKEN) as fake:
        harness = Slack(world, fake)
        try:
            yield harness
        finally:
            harness.close()
