"""Inbound routes of the integrations: PagerDuty's webhook with its inbox (which, at start,
also works deliveries stored but not worked when the process last stopped) and Twilio's
status callbacks. Outbound delivery is the registry's."""

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from integrations.pagerduty.inbox import Inbox
from vigilo.integrations import pagerduty_settings, twilio_settings
from webhooks import pagerduty as webhook
from webhooks import twilio

if TYPE_CHECKING:
    from vigilo.app import Vigilo


def wire(vigilo: "Vigilo") -> list[BaseRoute]:
    settings = pagerduty_settings(vigilo.settings)
    inbox = Inbox(vigilo.db, vigilo.settings.workspace, vigilo.worker.notify)
    vigilo.pagerduty_inbox = inbox
    if settings.secrets:
        vigilo.on_startup.append(inbox.start)
        vigilo.on_shutdown.append(inbox.stop)
    return [*webhook.routes(vigilo.db, settings, inbox),
            *twilio.routes(vigilo.db, twilio_settings(vigilo.settings))]
