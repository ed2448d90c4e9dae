"""PagerDuty as one integration object: the REST client and its outbox handlers.

Building makes no call; `start()` has nothing to check that a first delivery would not (a
wrong key shows as a dead effect with its fix), so PagerDuty never holds up readiness.
"""

from core import effects as fx
from integrations.outbox import Handler
from integrations.pagerduty import effects
from integrations.pagerduty.client import PagerDuty as Client
from integrations.pagerduty.settings import PagerDutySettings
from store.db import Database

KINDS = frozenset({fx.PAGERDUTY_TRIGGER, fx.PAGERDUTY_ACKNOWLEDGE, fx.PAGERDUTY_RESOLVE,
                   fx.PAGERDUTY_URGENCY, fx.PAGERDUTY_NOTE})


class PagerDuty:
    name = "pagerduty"
    kinds = KINDS
    needs_start = False  # start() does no I/O: nothing to wait for

    def __init__(self, settings: PagerDutySettings, db: Database, base_url: str) -> None:
        self.settings = settings
        self.db = db
        self.base_url = base_url
        self.client = Client(settings)

    def handlers(self) -> dict[str, Handler]:
        if not self.settings.enabled:
            return {}
        return effects.handlers(self.db, self.client, self.base_url)

    def start(self) -> None:
        return None

    def stop(self) -> None:
        self.client.close()


def build(settings: PagerDutySettings, db: Database, base_url: str) -> PagerDuty:
    return PagerDuty(settings, db, base_url)
