"""The status page as one integration object. It needs no credentials: the page is ours."""

from dataclasses import dataclass

from core import effects as fx
from core import statuspage as public
from integrations.outbox import Effect, Handler, PermanentFailure
from services import statuspage
from store.db import Database

KINDS = frozenset({fx.STATUSPAGE_PUBLISH, fx.STATUSPAGE_UPDATE, fx.STATUSPAGE_RESOLVE,
                   fx.STATUSPAGE_WITHDRAW})


@dataclass(frozen=True)
class StatusPageSettings:
    enabled: bool = True

    @property
    def why_off(self) -> str | None:
        return None if self.enabled else "turned off"


class StatusPage:
    name = "statuspage"
    kinds = KINDS
    needs_start = False  # start() does no I/O: nothing to wait for

    def __init__(self, settings: StatusPageSettings, db: Database) -> None:
        self.settings = settings
        self.db = db

    def handlers(self) -> dict[str, Handler]:
        db = self.db

        def publish(effect: Effect) -> str:
            return statuspage.auto_publish(db, effect.incident_id or 0)

        def update(effect: Effect) -> str:
            wanted = str(effect.payload.get("status") or "")
            if wanted not in public.PUBLIC_STATUSES:
                raise PermanentFailure(f"'{wanted[:20]}' is not a status-page status")
            return statuspage.auto_update(db, effect.incident_id or 0, wanted)

        def resolve(effect: Effect) -> str:
            return statuspage.auto_resolve(db, effect.incident_id or 0)

        def withdraw(effect: Effect) -> str:
            return statuspage.auto_withdraw(db, effect.incident_id or 0)

        return {fx.STATUSPAGE_PUBLISH: publish, fx.STATUSPAGE_UPDATE: update,
                fx.STATUSPAGE_RESOLVE: resolve, fx.STATUSPAGE_WITHDRAW: withdraw}

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None


def build(settings: StatusPageSettings, db: Database) -> StatusPage:
    return StatusPage(settings, db)
