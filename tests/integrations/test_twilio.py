"""SMS pages: the real `twilio` client against the fake Twilio, through the outbox; status
callbacks signed like Twilio signs them; nobody paged twice for one trigger."""

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import requests
from sqlmodel import col, select
from starlette.testclient import TestClient

from core.permissions import Role
from core.sms import segments
from integrations.outbox import OutboxWorker
from integrations.twilio.client import settled
from services import incidents, oncall, workspaces
from store.models import IntegrationLog, Member, Outbox, TimelineEvent
from store.paging_models import SmsPage
from store.types import utcnow
from tests.conftest import World
from vigilo.app import Vigilo, build
from vigilo.sandbox.twilio_api import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    GARBAGE,
    FakeTwilio,
)
from vigilo.settings import Settings

PHONE = "+4915112345678"


class Rig:
    def __init__(self, world: World, fake: FakeTwilio, vigilo: Vigilo) -> None:
        self.world, self.fake, self.vigilo = world, fake, vigilo
        self.offset = timedelta(0)
        self.worker = OutboxWorker(world.db, vigilo.registry.handlers,
                                   off=vigilo.registry.off, clock=lambda: utcnow() + self.offset)
        self.http = TestClient(vigilo.asgi)  # type: ignore[arg-type]

    def drain(self) -> None:
        self.worker.drain()

    def later(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def sms(world: World) -> Iterator[Rig]:
    with FakeTwilio() as fake:
        settings = Settings(base_url="http://vigilo.test", workspace="acme", twilio={
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER, "TWILIO_API_URL": fake.base_url})
        yield Rig(world, fake, build(settings, db=world.db, run_worker=False))


def schedule(world: World, phone: str | None = PHONE) -> None:
    admin = world.actor(Role.ADMIN)
    if phone:
        workspaces.set_member(world.db, admin, "UENG0", phone=phone)
    oncall.create_schedule(world.db, admin, "primary", "UTC", "00:00", "weekly",
                           utcnow().date() - timedelta(days=1))
    oncall.add_to_rotation(world.db, admin, None, "UENG0")


def declare(world: World, title: str = "Checkout is down", severity: str = "p1") -> None:
    incidents.declare(world.db, world.actor(), title=title, severity=severity)


def notices(world: World) -> list[str]:
    with world.db.read() as session:
        return list(session.exec(select(TimelineEvent.text).where(
            TimelineEvent.label == "page_failed").order_by(col(TimelineEvent.id))))


def slack_facts(world: World) -> list[dict[str, object]]:
    with world.db.read() as session:
        return [r.payload for r in session.exec(select(Outbox).where(
            Outbox.kind == "slack.announce"))]


def test_p1_pages_the_on_call_in_one_segment(sms: Rig) -> None:
    schedule(sms.world)
    declare(sms.world, "Checkout is down for every customer in every region " * 3)
    sms.drain()
    [page] = sms.fake.sent_to(PHONE)
    assert page.body.startswith("P1 INC-0001 Checkout is down")
    assert "http://vigilo.test/ws/acme/incidents/INC-0001" in page.body
    assert segments(page.body) == 1 and page.from_ == FROM_NUMBER
    assert page.status_callback == "http://vigilo.test/integrations/twilio_status/"
    with sms.world.db.read() as session:
        [row] = session.exec(select(SmsPage)).all()
    assert row.sid == page.sid and row.status == "queued"
    declare(sms.world, "minor", "p3")
    sms.drain()
    assert len(sms.fake.messages) == 1  # below the paging severity


def test_status_callbacks_land_on_the_timeline_and_failures_reach_the_commander(
        sms: Rig) -> None:
    schedule(sms.world)
    declare(sms.world)
    sms.drain()
    [page] = sms.fake.messages
    url, form, headers = sms.fake.status_callback(page.sid, "sent")
    path = url.removeprefix("http://vigilo.test")
    assert sms.http.post(path, data=form, headers=headers).status_code == 200
    bad = dict(headers, **{"X-Twilio-Signature": "forged"})
    assert sms.http.post(path, data=form, headers=bad).status_code == 401
    url, form, headers = sms.fake.status_callback(page.sid, "undelivered", error_code="30003")
    assert sms.http.post(path, data=form, headers=headers).json()["ok"] is True
    with sms.world.db.read() as session:
        texts = session.exec(select(TimelineEvent.text).where(
            TimelineEvent.source == "twilio").order_by(col(TimelineEvent.id))).all()
        logs = session.exec(select(IntegrationLog).where(
            IntegrationLog.integration == "twilio", IntegrationLog.direction == "in")).all()
    assert texts == ["SMS page to Eng 0: sent",
                     "SMS page to Eng 0 undelivered: Twilio says undelivered (error 30003)"]
    assert len(logs) == 2
    assert any(f.get("event") == "page_problem" for f in slack_facts(sms.world))


def test_each_reason_a_page_cannot_go_out_is_told(sms: Rig, world: World) -> None:
    declare(world)  # no schedule at all
    sms.drain()
    oncall.create_schedule(world.db, world.actor(Role.ADMIN), "primary", "UTC", "09:00",
                           "daily", date(2099, 1, 1))  # starts in the future: no slot
    incidents.change_severity(world.db, world.actor(), "INC-0001", "p3")
    incidents.change_severity(world.db, world.actor(), "INC-0001", "p1")
    sms.drain()
    oncall.add_to_rotation(world.db, world.actor(Role.ADMIN), None, "UENG1")
    oncall.override(world.db, world.actor(Role.ADMIN), None, "UENG1", utcnow(),
                    utcnow() + timedelta(hours=1))  # on call, but no phone number
    declare(world, "second")
    sms.drain()
    assert notices(world) == [
        "SMS page did not go out: there is no on-call schedule (vigilo oncall create)",
        "SMS page did not go out: the on-call schedule has no current slot",
        "SMS page to Eng 1 did not go out: Eng 1 has no phone number on their profile"]
    assert sms.fake.messages == []


def test_retries_and_lost_answers_never_page_twice(sms: Rig) -> None:
    schedule(sms.world)
    sms.fake.fail_next(429, retry_after=1)
    declare(sms.world)
    sms.drain()
    assert sms.fake.messages == []
    sms.fake.fail_next(0)  # Twilio sends it; the answer is lost
    sms.later(60)
    sms.drain()
    assert len(sms.fake.messages) == 1
    sms.later(3600)
    sms.drain()
    assert len(sms.fake.messages) == 1  # found by its marker, not sent again
    with sms.world.db.read() as session:
        [row] = session.exec(select(SmsPage)).all()
        [effect] = session.exec(select(Outbox).where(Outbox.kind == "twilio.page_oncall"))
    assert row.sid == sms.fake.messages[0].sid and effect.status == "done"
    # A second worker (another replica) running the same effect again pages nobody.
    other = OutboxWorker(sms.world.db, sms.vigilo.registry.handlers)
    with sms.world.db.transaction() as session:
        again = session.get(Outbox, effect.id)
        assert again is not None
        again.status = "pending"
    other.drain()
    assert len(sms.fake.messages) == 1


def test_a_number_twilio_refuses_is_told_not_retried(sms: Rig) -> None:
    schedule(sms.world)
    with sms.world.db.transaction() as session:  # a number Twilio refuses outright
        row = session.exec(select(Member).where(Member.slack_user_id == "UENG0")).one()
        row.phone = "+1500"
    declare(sms.world)
    sms.drain()
    assert sms.fake.messages == []
    assert notices(sms.world) == ["SMS page to Eng 0 did not go out: Twilio refused the "
                                  "number: The 'To' number +1500 is not a valid phone number. "
                                  "(error 21211)"]


def test_unconfigured_twilio_tells_the_commander(world: World) -> None:
    vigilo = build(Settings(workspace="acme"), db=world.db, run_worker=False)
    assert "twilio.page_oncall" not in vigilo.registry.off  # its off-handler speaks up
    schedule(world)
    declare(world)
    OutboxWorker(world.db, vigilo.registry.handlers, off=vigilo.registry.off).drain()
    assert notices(world) == ["SMS page did not go out: Twilio is not configured "
                              "(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER "
                              "unset)"]
    with world.db.read() as session:
        [row] = session.exec(select(Outbox).where(Outbox.kind == "twilio.page_oncall")).all()
    assert row.status == "skipped" and "the commander was told" in (row.last_error or "")
    assert any(f.get("event") == "page_problem" for f in slack_facts(world))


def test_an_answer_that_is_not_json_is_retried_and_pages_once(sms: Rig) -> None:
    schedule(sms.world)
    sms.fake.fail_next(GARBAGE)  # Twilio sends it; a proxy's page comes back instead
    declare(sms.world)
    sms.drain()
    with sms.world.db.read() as session:
        [effect] = session.exec(select(Outbox).where(Outbox.kind == "twilio.page_oncall"))
    assert effect.status == "pending" and "not JSON" in (effect.last_error or "")
    sms.later(3600)
    sms.drain()
    assert len(sms.fake.messages) == 1  # found by its marker, not sent again
    with sms.world.db.read() as session:
        [effect] = session.exec(select(Outbox).where(Outbox.kind == "twilio.page_oncall"))
    assert effect.status == "done"


def test_the_environment_is_read_once_for_twilio_s_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/corp-ca.pem")
    session = requests.Session()
    settled(session, "https://api.twilio.com")
    assert session.proxies.get("https") == "http://proxy.corp:3128"
    assert session.verify == "/etc/corp-ca.pem"
    assert session.trust_env is False  # not read again on every call
    monkeypatch.setenv("NO_PROXY", "api.twilio.com")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    bypassed = requests.Session()
    settled(bypassed, "https://api.twilio.com")
    assert bypassed.proxies == {} and bypassed.verify is True


def test_the_built_client_does_not_read_the_environment_per_call(sms: Rig) -> None:
    client = sms.vigilo.registry.get("twilio")
    assert client is not None
    http = client.client.client.http_client  # type: ignore[attr-defined]
    assert http.session.trust_env is False
