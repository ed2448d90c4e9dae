"""The outbox's pools: deliveries behind paging wait for the pages, never for long."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from core.effects import BEHIND_PAGING, PAGING
from integrations.lanes import Pools


def pools(at_most: float = 5.0) -> Pools:
    return Pools(4, first=PAGING, behind=BEHIND_PAGING, behind_at_most=at_most)


@contextmanager
def hung(lanes: Pools, integration: str) -> Iterator[None]:
    """A delivery of `integration` that runs until the block ends."""
    stuck = threading.Event()
    lanes.submit(integration, lambda: stuck.wait(10))
    try:
        yield
    finally:
        stuck.set()
        lanes.shutdown(5)


def test_a_status_page_delivery_starts_after_the_page_running_ends() -> None:
    lanes = pools()
    order: list[str] = []
    release = threading.Event()
    paging = threading.Event()

    def page() -> None:
        order.append("page starts")
        paging.set()
        release.wait(5)
        order.append("page ends")

    lanes.submit("twilio", page)
    assert paging.wait(5)
    published = threading.Event()
    lanes.submit("statuspage", lambda: (order.append("status page"), published.set()))
    assert not published.wait(0.2)  # held while the page runs
    release.set()
    assert published.wait(5)
    assert order == ["page starts", "page ends", "status page"]
    lanes.shutdown(5)


def test_a_page_that_hangs_holds_the_status_page_no_longer_than_its_limit() -> None:
    lanes = pools(at_most=0.3)
    with hung(lanes, "pagerduty"):
        published = threading.Event()
        started = time.monotonic()
        lanes.submit("statuspage", published.set)
        assert published.wait(5)
        assert 0.25 <= time.monotonic() - started < 3


def test_slack_goes_beside_paging_and_nothing_waits_without_pages() -> None:
    lanes = pools(at_most=5.0)
    with hung(lanes, "twilio"):
        posted = threading.Event()
        lanes.submit("slack", posted.set)
        assert posted.wait(1)  # Slack is not behind paging
    quiet = pools(at_most=5.0)
    published = threading.Event()
    started = time.monotonic()
    quiet.submit("statuspage", published.set)
    assert published.wait(1) and time.monotonic() - started < 1
    quiet.shutdown(5)
