"""The public status page Vigilo serves itself (`GET /status/{slug}`): the outbox handlers
that publish, update, resolve and withdraw incidents on it, and the integration (`build`)."""

from integrations.statuspage.integration import StatusPage, StatusPageSettings, build

__all__ = ["StatusPage", "StatusPageSettings", "build"]
