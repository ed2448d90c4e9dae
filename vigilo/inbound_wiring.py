"""Inbound routes of the integrations: PagerDuty's webhook with its inbox taker (which, at
start, also works deliveries stored but not worked when the process last stopped) and
Twilio's status callbacks; and the admins' integrations page. Outbound delivery is the
registry's."""

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from integrations.pagerduty.inbox import Inbox
from services.pagerduty_inbound import INTEGRATION
from vigilo.integrations import pagerduty_settings, states, twilio_settings
from webhooks import integrations_page, twilio
from webhooks import pagerduty as webhook
from webhooks.render import Site, environment

if TYPE_CHECKING:
    from vigilo.app import Vigilo


def wire(vigilo: "Vigilo") -> list[BaseRoute]:
    settings = pagerduty_settings(vigilo.settings)
    inbox = Inbox(vigilo.db, vigilo.settings.workspace, vigilo.worker.notify,
                  lease=vigilo.settings.inbox_lease)
    vigilo.pagerduty_inbox = inbox
    if settings.secrets and vigilo.settings.role != "web":  # a web process only stores
        vigilo.inbox_writer.on_written(INTEGRATION, inbox.notify)
        vigilo.on_startup.append(inbox.start)
        vigilo.on_shutdown.append(inbox.stop)
    site = Site(db=vigilo.db, base_url=vigilo.settings.base_url.rstrip("/"),
                env=environment())
    return [*webhook.routes(settings, vigilo.inbox_writer),
            *twilio.routes(vigilo.db, twilio_settings(vigilo.settings)),
            *integrations_page.routes(site, lambda: states(vigilo.registry))]
