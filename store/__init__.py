"""Persistence: SQLModel tables, engine and sessions, queries, alembic migrations."""
