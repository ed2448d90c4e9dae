"""Slack wiring: WebClient, Bolt app, effect handlers and the /slack/events route."""

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from vigilo.app import Vigilo


def wire(vigilo: "Vigilo") -> list[BaseRoute]:
    """Register Slack effect handlers on `vigilo.handlers` and return Slack's routes."""
    return []
