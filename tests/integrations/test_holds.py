"""Effects held back while people's commands are carried out: a second at most."""

from integrations.holds import Hold
from tests.integrations.conftest import Tick

KINDS = frozenset({"slack.setup_channel"})


def test_held_only_while_busy_and_never_longer_than_its_limit(tick: Tick) -> None:
    busy, woken = [False], []
    hold = Hold(KINDS, busy=lambda: busy[0], wake=lambda: woken.append(1), at_most=1.0,
                clock=tick)
    assert hold() == frozenset()
    busy[0] = True
    assert hold() == KINDS
    tick.now += 0.9
    assert hold() == KINDS
    tick.now += 0.2  # busy for longer than at_most: slowed, never stopped
    assert hold() == frozenset()
    assert woken == []


def test_idle_wakes_the_outbox_only_when_something_was_held(tick: Tick) -> None:
    busy, woken = [True], []
    hold = Hold(KINDS, busy=lambda: busy[0], wake=lambda: woken.append(1), clock=tick)
    hold.idle()
    assert woken == []  # nothing was held: no needless claim
    assert hold() == KINDS
    busy[0] = False
    hold.idle()
    hold.idle()
    assert woken == [1]
    busy[0] = True
    assert hold() == KINDS  # a new burst is held again, its second counted afresh
