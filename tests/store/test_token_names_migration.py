"""Migration 0007 on a database that already has tokens sharing a name: none is lost or
revoked, the older ones get a distinct name, and from then on names stay unique."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from store import migrate
from store.db import make_engine


def test_duplicate_live_token_names_are_renamed_not_lost(db_url: str) -> None:
    migrate.upgrade(db_url, "0001")
    engine = make_engine(db_url)
    rows = [(1, "ci", "h1", None), (2, "ci", "h2", None), (3, "ci", "h3", None),
            (4, "ci", "h4", "2026-11-30 10:00:00+00:00"), (5, "datadog", "h5", None)]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO workspace (id, slug, name, settings, "
                          "last_incident_number, created_at) VALUES (1, 'acme', 'Acme', '{}', "
                          "0, '2026-11-30 09:00:00+00:00')"))
        for token_id, name, digest, revoked in rows:
            conn.execute(text("INSERT INTO apitoken (id, workspace_id, name, token_hash, "
                              "created_at, revoked_at) VALUES (:id, 1, :name, :hash, "
                              "'2026-11-30 09:00:00+00:00', :revoked)"),
                         {"id": token_id, "name": name, "hash": digest, "revoked": revoked})
    migrate.upgrade(db_url)
    try:
        with engine.connect() as conn:
            names = dict(conn.execute(text("SELECT id, name FROM apitoken ORDER BY id")).all())
        # The newest live "ci" keeps its name; the revoked one is no longer live, so it too.
        assert names == {1: "ci (#1)", 2: "ci (#2)", 3: "ci", 4: "ci", 5: "datadog"}
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO apitoken (workspace_id, name, token_hash, "
                              "created_at) VALUES (1, 'ci', 'h6', "
                              "'2026-11-30 09:00:00+00:00')"))
    finally:
        engine.dispose()
