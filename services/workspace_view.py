"""A workspace's slug and settings (read model): for integrations that post about it, and
for admins reading the settings before changing one."""

from dataclasses import dataclass

from core.errors import NotFound
from core.permissions import Action
from core.validation import WorkspaceSettings
from services.actor import Actor
from services.records import authorize
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


def settings_for(db: Database, actor: Actor) -> WorkspaceSettings:
    """The actor's workspace settings, for an admin to read before changing one."""
    authorize(actor, Action.ADMINISTER)
    view = workspace_ref(db, actor.workspace_id)
    if view is None:
        raise NotFound("No such workspace.", field="workspace")
    return view.settings
