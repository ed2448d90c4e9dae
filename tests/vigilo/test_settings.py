"""Settings from the environment: delivery threads, retention, serving processes."""

import pytest

from vigilo.settings import Settings


def test_outbox_threads_come_from_the_environment() -> None:
    assert Settings.from_env({}, dotenv=False).outbox_threads == 32
    assert Settings.from_env({"VIGILO_OUTBOX_THREADS": "1"}, dotenv=False).outbox_threads == 1
    for bad in ("0", "many", "-2", "1000"):
        with pytest.raises(ValueError, match="VIGILO_OUTBOX_THREADS must be a number"):
            Settings.from_env({"VIGILO_OUTBOX_THREADS": bad}, dotenv=False)


def test_retention_days_come_from_the_environment() -> None:
    assert Settings.from_env({}, dotenv=False).retention_days == 30
    assert Settings.from_env({"VIGILO_RETENTION_DAYS": "7"}, dotenv=False).retention_days == 7
    for bad in ("0", "week", "-1", "99999", "²"):
        with pytest.raises(ValueError, match="VIGILO_RETENTION_DAYS must be a number"):
            Settings.from_env({"VIGILO_RETENTION_DAYS": bad}, dotenv=False)


def test_serving_processes_come_from_web_concurrency() -> None:
    assert Settings.from_env({}, dotenv=False).workers == 1
    assert Settings.from_env({"WEB_CONCURRENCY": "3"}, dotenv=False).workers == 3
    for bad in ("0", "many", "65"):
        with pytest.raises(ValueError, match="WEB_CONCURRENCY must be a number"):
            Settings.from_env({"WEB_CONCURRENCY": bad}, dotenv=False)


def test_the_role_comes_from_vigilo_role() -> None:
    assert Settings.from_env({}, dotenv=False).role == "all"
    assert Settings.from_env({"VIGILO_ROLE": "Worker"}, dotenv=False).role == "worker"
    with pytest.raises(ValueError, match="VIGILO_ROLE must be one of all, web, worker"):
        Settings.from_env({"VIGILO_ROLE": "both"}, dotenv=False)
