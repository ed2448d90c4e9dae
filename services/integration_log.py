"""The integration log: every delivery attempt out and every webhook in."""

from store.db import Database
from store.models import IntegrationLog


def inbound(db: Database, integration: str, kind: str, detail: str, *, ok: bool = True,
            workspace_id: int | None = None) -> None:
    with db.transaction() as session:
        session.add(IntegrationLog(workspace_id=workspace_id, integration=integration,
                                   direction="in", kind=kind[:64], ok=ok,
                                   detail=detail[:4000]))
