"""A workspace's slug and settings, read for integrations that post about it (read model)."""

from dataclasses import dataclass

from core.validation import WorkspaceSettings
from store.db import Database
from store.models import Workspace


@dataclass(frozen=True)
class WorkspaceView:
    id: int
    slug: str
    settings: WorkspaceSettings


def workspace_ref(db: Database, workspace_id: int) -> WorkspaceView | None:
    with db.read() as session:
        row = session.get(Workspace, workspace_id)
        if row is None:
            return None
        return WorkspaceView(row.id or 0, row.slug, WorkspaceSettings.from_json(row.settings))
