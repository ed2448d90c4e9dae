"""PagerDuty, both ways: the REST API v2 client, its error mapping, the outbox's delivery
handlers, how an incident reads there, webhook signatures, and the integration (`build`)."""

from integrations.pagerduty.integration import PagerDuty, build
from integrations.pagerduty.settings import PagerDutySettings

__all__ = ["PagerDuty", "PagerDutySettings", "build"]
