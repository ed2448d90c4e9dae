"""A Vigilo app wired to the HTTPS fake PagerDuty (no Slack): shared by the PagerDuty tests
and bench/bench_pagerduty.py."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from integrations.outbox import OutboxWorker
from store.types import utcnow
from tests.conftest import World
from vigilo.app import Vigilo, build
from vigilo.sandbox.pagerduty_api import API_KEY, FROM_EMAIL, SERVICE_ID, FakePagerDuty
from vigilo.settings import Settings

WEBHOOK_SECRET = "pd-webhook-secret"


class PdRig:
    def __init__(self, world: World, fake: FakePagerDuty, vigilo: Vigilo) -> None:
        self.world = world
        self.fake = fake
        self.vigilo = vigilo
        self.http = TestClient(vigilo.asgi)  # type: ignore[arg-type]
        self.offset = timedelta(0)  # how far the worker's clock runs ahead
        self.worker = OutboxWorker(world.db, vigilo.registry.handlers, off=vigilo.registry.off,
                                   clock=self.clock)

    def clock(self) -> datetime:
        return utcnow() + self.offset

    def drain(self) -> int:
        return self.worker.drain()

    def later(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    def send(self, event_type: str, pd_id: str, *, secret: str = WEBHOOK_SECRET,
             **kwargs: Any) -> Any:
        body, headers = self.fake.webhook(event_type, pd_id, secret, **kwargs)
        return self.post(body, headers)

    def post(self, body: bytes, headers: dict[str, str]) -> Any:
        """Deliver a webhook and wait until the inbox worked it."""
        answer = self.http.post("/integrations/pagerduty_events/", content=body,
                                headers=headers)
        assert self.vigilo.pagerduty_inbox is not None
        assert self.vigilo.pagerduty_inbox.wait_idle(10)
        return answer


def pd_settings(fake: FakePagerDuty, **extra: str) -> Settings:
    return Settings(base_url="http://vigilo.test", workspace="acme", pagerduty={
        "PAGERDUTY_API_KEY": API_KEY, "PAGERDUTY_FROM_EMAIL": FROM_EMAIL,
        "PAGERDUTY_SERVICE_ID": SERVICE_ID, "PAGERDUTY_API_URL": fake.base_url,
        "PAGERDUTY_WEBHOOK_SECRET": WEBHOOK_SECRET, **extra})


@pytest.fixture(name="fake_pd")
def fake_pd_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePagerDuty]:
    with FakePagerDuty() as fake:
        monkeypatch.setenv("SSL_CERT_FILE", fake.ca_file(str(tmp_path)))
        yield fake


@pytest.fixture(name="pd")
def pd_fixture(world: World, fake_pd: FakePagerDuty) -> Iterator[PdRig]:
    rig = PdRig(world, fake_pd, build(pd_settings(fake_pd), db=world.db, run_worker=False))
    yield rig
    rig.vigilo.stop()  # the inbox taker polls: it must not outlive the test's schema


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)
