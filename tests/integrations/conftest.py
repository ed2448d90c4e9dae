"""Fixtures the integration tests share: the sandbox Slack knowing the world's people, the
rig that delivers Slack effects through the real client to it, and a clock that moves only
when a test moves it."""

from collections.abc import Iterator

import pytest

from tests.conftest import World
from tests.integrations.test_slack_effects import Rig
from vigilo.sandbox.slack_api import FakeSlack


@pytest.fixture
def fake(world: World) -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        for member in [*world.members.values(), *world.members_extra]:
            server.add_user(member.slack_user_id, member.display_name.lower())
        yield server


@pytest.fixture
def rig(world: World, fake: FakeSlack) -> Rig:
    return Rig(world, fake)


class Tick:
    """A monotonic clock (seconds) that moves only when `now` is set."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def tick() -> Tick:
    return Tick()
