"""Liveness and readiness of the assembled app."""

from starlette.testclient import TestClient

from store import migrate
from store.db import Database
from vigilo.app import build
from vigilo.settings import Settings


def test_readyz_waits_for_the_schema(db_url: str) -> None:
    db = Database.from_url(db_url)
    app = build(Settings(database_url=db_url), db=db, run_worker=False)
    assert app.asgi is not None
    with TestClient(app.asgi) as client:
        healthz = client.get("/healthz")
        assert healthz.json() == {"status": "ok"}
        assert healthz.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in healthz.headers["content-security-policy"]
        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503 and not_ready.json() == {"status": "unavailable"}
        migrate.upgrade(db_url)
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json() == {"status": "ok"}
    db.dispose()


def test_readyz_when_the_database_is_gone() -> None:
    db = Database.from_url("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    app = build(Settings(), db=db, run_worker=False)
    assert app.asgi is not None
    with TestClient(app.asgi) as client:
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json() == {"status": "unavailable"}


def test_wiring_hooks_run_with_the_server_lifespan(sqlite_url: str) -> None:
    events: list[str] = []
    app = build(Settings(database_url=sqlite_url), run_worker=False)
    app.on_startup.append(lambda: events.append("start"))
    app.on_shutdown.append(lambda: events.append("stop"))
    assert app.asgi is not None
    with TestClient(app.asgi) as client:
        assert events == ["start"]
        client.get("/healthz")
    assert events == ["start", "stop"]
    app.db.dispose()
