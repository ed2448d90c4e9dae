"""Background work gives way to requests in flight, for a bounded time."""

import threading
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.runtime import TrackedExecutor
from integrations.lanes import Pools
from webhooks.foreground import Foreground, InFlight


def test_give_way_returns_at_once_when_no_request_is_in_flight() -> None:
    foreground = Foreground(most=5.0)
    started = time.perf_counter()
    foreground.give_way()
    assert time.perf_counter() - started < 0.05


def test_give_way_waits_until_the_last_request_is_answered() -> None:
    foreground = Foreground(most=5.0)
    foreground.enter()
    foreground.enter()
    gone: list[float] = []
    waiter = threading.Thread(target=lambda: (foreground.give_way(),
                                              gone.append(time.perf_counter())))
    waiter.start()
    time.sleep(0.05)
    foreground.leave()
    time.sleep(0.05)
    assert not gone  # one request still in flight
    left = time.perf_counter()
    foreground.leave()
    waiter.join(2)
    assert gone and gone[0] - left < 1.0


def test_give_way_waits_at_most_its_bound_so_background_work_is_never_stopped() -> None:
    foreground = Foreground(most=0.1)
    foreground.enter()  # a request that never ends
    started = time.perf_counter()
    foreground.give_way()
    waited = time.perf_counter() - started
    assert 0.09 <= waited < 1.0


def test_in_flight_counts_a_request_until_it_is_answered() -> None:
    foreground = Foreground()

    async def during(request: Request) -> JSONResponse:
        return JSONResponse({"busy": foreground.busy})

    app = InFlight(Starlette(routes=[Route("/", during)]), foreground)
    with TestClient(app) as client:
        assert client.get("/").json() == {"busy": 1}
        assert client.get("/missing").status_code == 404
    assert foreground.busy == 0


def test_in_flight_lets_go_of_a_request_that_failed() -> None:
    foreground = Foreground()

    async def broken(request: Request) -> JSONResponse:
        raise RuntimeError("a bug")

    app = InFlight(Starlette(routes=[Route("/", broken)]), foreground)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/").status_code == 500
    assert foreground.busy == 0


def test_jobs_and_outbox_deliveries_give_way_before_they_start() -> None:
    foreground = Foreground(most=5.0)
    foreground.enter()
    ran: list[str] = []
    jobs = TrackedExecutor(1, "test-job")
    jobs.give_way = foreground.give_way
    pools = Pools(1, give_way=foreground.give_way)
    jobs.submit(lambda: ran.append("job"))
    pools.submit("slack", lambda: ran.append("delivery"))
    time.sleep(0.1)
    assert ran == []
    foreground.leave()
    assert jobs.wait_idle(2)
    deadline = time.monotonic() + 2
    while len(ran) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(ran) == ["delivery", "job"]
    jobs.shutdown()
    pools.shutdown(1)


def test_background_work_waits_for_a_calm_moment_not_a_gap_between_two_requests() -> None:
    foreground = Foreground(most=5.0, quiet=0.2)
    foreground.enter()
    foreground.leave()  # answered just now: the next request may be a moment away
    started = time.perf_counter()
    gone: list[float] = []
    waiter = threading.Thread(target=lambda: (foreground.give_way(),
                                              gone.append(time.perf_counter())))
    waiter.start()
    time.sleep(0.1)
    foreground.enter()  # the next request came within the quiet time
    time.sleep(0.3)
    assert not gone
    foreground.leave()
    waiter.join(2)
    assert gone and gone[0] - started >= 0.6  # 0.1 + 0.3 + a full quiet time after
    calm = time.perf_counter()
    foreground.give_way()  # long after the last answer: no wait at all
    assert time.perf_counter() - calm < 0.05
