"""PagerDuty's inbound side: the webhook route, and a start-up sweep for deliveries that
were stored but not worked when the process last stopped. (Outbound is the registry's.)"""

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from services import pagerduty_inbound
from vigilo.integrations import pagerduty_settings
from webhooks import pagerduty as webhook

if TYPE_CHECKING:
    from vigilo.app import Vigilo


def wire(vigilo: "Vigilo") -> list[BaseRoute]:
    settings = pagerduty_settings(vigilo.settings)
    workspace = vigilo.settings.workspace

    def sweep() -> None:
        for row_id in pagerduty_inbound.pending(vigilo.db):
            pagerduty_inbound.process(vigilo.db, row_id, workspace)
        vigilo.worker.notify()

    vigilo.on_startup.append(sweep)
    return webhook.routes(vigilo.db, settings, workspace, vigilo.worker.notify)
