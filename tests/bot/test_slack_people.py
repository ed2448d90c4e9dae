"""Slack users as actors: known members from the database, strangers from Slack."""

import pytest
from slack_sdk import WebClient

from bot.people import People, SlackUnavailable
from core.permissions import Role
from services import workspaces
from services.actor import Actor
from services.slack_team import WorkspaceRef
from tests.conftest import World


def test_a_members_actor_is_read_afresh_for_each_command(world: World) -> None:
    unreachable = WebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/")
    people = People(world.db, unreachable)
    workspace = WorkspaceRef(world.ws_id, "acme", "Acme")
    eng = world.members_extra[0]
    assert people.actor(workspace, "UENG0") == Actor(world.ws_id, eng.id, "Eng 0",
                                                     Role.ENGINEER, "slack")
    workspaces.set_member(world.db, world.actor(Role.ADMIN), "UENG0", role="viewer")
    assert people.actor(workspace, "UENG0").role == Role.VIEWER  # a demotion holds at once
    other = WorkspaceRef(world.ws_id + 1000, "elsewhere", "Elsewhere")
    with pytest.raises(SlackUnavailable):  # not a member there: only Slack could say who
        people.actor(other, "UENG0")
