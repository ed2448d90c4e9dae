"""PagerDuty wiring: outbox handlers when configured, the webhook route, and a start-up
sweep for deliveries that were stored but not worked when the process last stopped."""

import logging
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from integrations.pagerduty import effects
from integrations.pagerduty.client import PagerDuty
from integrations.pagerduty.settings import PagerDutySettings
from services import pagerduty_inbound
from webhooks import pagerduty as webhook

if TYPE_CHECKING:
    from vigilo.app import Vigilo

log = logging.getLogger(__name__)


def wire(vigilo: "Vigilo") -> list[BaseRoute]:
    settings = PagerDutySettings.from_env(vigilo.settings.pagerduty)
    vigilo.parts["pagerduty_settings"] = settings
    if settings.enabled:
        client = PagerDuty(settings)
        vigilo.parts["pagerduty"] = client
        vigilo.handlers.update(effects.handlers(vigilo.db, client, vigilo.settings.base_url))
    else:
        log.info("PagerDuty is off: %s", settings.why_off)
    workspace = vigilo.settings.workspace

    def sweep() -> None:
        for row_id in pagerduty_inbound.pending(vigilo.db):
            pagerduty_inbound.process(vigilo.db, row_id, workspace)
        vigilo.worker.notify()

    vigilo.parts.setdefault("on_startup", []).append(sweep)
    return webhook.routes(vigilo.db, settings, workspace, vigilo.worker.notify)
