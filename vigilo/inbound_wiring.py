"""Inbound routes of the integrations: PagerDuty's webhook (and a start-up sweep for its
deliveries stored but not worked when the process last stopped) and Twilio's status
callbacks. Outbound delivery is the registry's."""

import logging
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from services import pagerduty_inbound
from vigilo.integrations import pagerduty_settings, twilio_settings
from webhooks import pagerduty as webhook
from webhooks import twilio

if TYPE_CHECKING:
    from vigilo.app import Vigilo

log = logging.getLogger(__name__)


def wire(vigilo: "Vigilo") -> list[BaseRoute]:
    settings = pagerduty_settings(vigilo.settings)
    workspace = vigilo.settings.workspace

    def sweep() -> None:
        # Live before ready: a database that is away or not migrated yet must not stop
        # start-up; what is left is worked at the next start.
        try:
            for row_id in pagerduty_inbound.pending(vigilo.db):
                pagerduty_inbound.process(vigilo.db, row_id, workspace)
        except Exception as error:
            log.warning("PagerDuty deliveries left from before not worked yet: %s",
                        str(error).splitlines()[0] if str(error) else type(error).__name__)
        vigilo.worker.notify()

    if settings.secrets:
        vigilo.on_startup.append(sweep)
    return [*webhook.routes(vigilo.db, settings, workspace, vigilo.worker.notify),
            *twilio.routes(vigilo.db, twilio_settings(vigilo.settings))]
