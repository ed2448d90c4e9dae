"""PagerDuty out: the real `pagerduty` client against the HTTPS fake, through the outbox."""

from sqlmodel import col, select

from services import incidents
from store.models import Incident, IntegrationLog, Outbox
from tests.conftest import World
from tests.pd_support import PdRig, fake_pd_fixture, pd_fixture, pd_settings  # noqa: F401
from vigilo.app import build
from vigilo.sandbox.pagerduty_api import FakePagerDuty


def declare(world: World, severity: str = "p1", title: str = "Checkout is down") -> Incident:
    return incidents.declare(world.db, world.actor(), title=title, severity=severity)


def pd_id(world: World, number: int = 1) -> str | None:
    with world.db.read() as session:
        return session.exec(select(Incident.pagerduty_incident_id).where(
            Incident.number == number)).first()


def outbox(world: World, kind: str) -> list[Outbox]:
    with world.db.read() as session:
        return list(session.exec(select(Outbox).where(Outbox.kind == kind)
                                 .order_by(col(Outbox.id))))


def test_the_incident_is_mirrored_through_its_lifecycle(pd: PdRig) -> None:
    world = pd.world
    declare(world)
    pd.drain()
    [created] = pd.fake.calls_to("POST /incidents")
    body = created.body["incident"]
    assert body["title"] == "[INC-0001] P1 Checkout is down" and body["urgency"] == "high"
    assert body["incident_key"].startswith("vigilo-") and created.headers["from"]
    assert "http://vigilo.test/ws/acme/incidents/INC-0001" in body["body"]["details"]
    stored = pd_id(world)
    assert stored is not None and pd.fake.incident(stored).status == "triggered"
    actor = world.actor()
    incidents.transition(world.db, actor, "INC-0001", incidents.Move.INVESTIGATE)
    pd.drain()
    assert pd.fake.incident(stored).status == "acknowledged"
    incidents.change_severity(world.db, actor, "INC-0001", "p3")
    pd.drain()
    assert pd.fake.incident(stored).urgency == "low"
    incidents.transition(world.db, actor, "INC-0001", incidents.Move.RESOLVE)
    pd.drain()
    assert pd.fake.incident(stored).status == "resolved"
    assert len(pd.fake.calls_to("POST /incidents")) == 1
    with world.db.read() as session:
        logs = session.exec(select(IntegrationLog).where(
            IntegrationLog.integration == "pagerduty")).all()
    assert logs and all(log.ok for log in logs)


def test_below_paging_severity_nothing_until_raised(pd: PdRig) -> None:
    declare(pd.world, "p3")
    pd.drain()
    assert pd.fake.calls == []
    incidents.change_severity(pd.world.db, pd.world.actor(), "INC-0001", "p2")
    pd.drain()
    [created] = pd.fake.calls_to("POST /incidents")
    assert created.body["incident"]["title"].startswith("[INC-0001] P2")


def test_rate_limit_then_lost_answer_makes_exactly_one_incident(pd: PdRig) -> None:
    pd.fake.fail_next("POST /incidents", 429, retry_after=7)
    declare(pd.world)
    pd.drain()
    [row] = outbox(pd.world, "pagerduty.trigger")
    assert row.status == "pending" and "retry after 7s" in (row.last_error or "")
    pd.fake.fail_next("POST /incidents", 0)  # PagerDuty creates it; the answer is lost
    pd.later(7)
    pd.drain()
    [row] = outbox(pd.world, "pagerduty.trigger")
    assert row.status == "pending" and "unreachable" in (row.last_error or "")
    pd.later(3600)
    pd.drain()
    [row] = outbox(pd.world, "pagerduty.trigger")
    assert row.status == "done"
    assert len(pd.fake.incidents) == 1  # the retry found it by its incident_key
    assert pd_id(pd.world) == next(iter(pd.fake.incidents))


def test_server_errors_back_off_and_bad_credentials_go_dead(pd: PdRig, world: World,
                                                          fake_pd: FakePagerDuty) -> None:
    pd.fake.fail_next("POST /incidents", 500, retry_after=None)
    declare(world)
    pd.drain()
    [row] = outbox(world, "pagerduty.trigger")
    assert row.status == "pending" and "HTTP 500" in (row.last_error or "")
    wrong = build(pd_settings(fake_pd, PAGERDUTY_API_KEY="wrong-key"), db=world.db,
                  run_worker=False)
    worker = type(pd.worker)(world.db, wrong.registry.handlers, clock=pd.clock)
    pd.later(3600)
    worker.drain()
    [row] = outbox(world, "pagerduty.trigger")
    assert row.status == "dead" and "PAGERDUTY_API_KEY" in (row.last_error or "")
    assert fake_pd.incidents == {}


def test_off_until_configured(world: World) -> None:
    from vigilo.settings import Settings

    vigilo = build(Settings(workspace="acme"), db=world.db, run_worker=False)
    assert "pagerduty.trigger" not in vigilo.registry.handlers
    assert vigilo.registry.off["pagerduty.trigger"] == (
        "pagerduty is off: not configured (PAGERDUTY_API_KEY, PAGERDUTY_FROM_EMAIL, "
        "PAGERDUTY_SERVICE_ID unset)")
    declare(world)
    vigilo.worker.drain()
    [row] = outbox(world, "pagerduty.trigger")
    assert row.status == "skipped" and "PAGERDUTY_API_KEY" in (row.last_error or "")
