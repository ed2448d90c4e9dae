"""The maintained `pagerduty` REST API v2 client, set up for the outbox.

The library retries 429 forever and network errors three times, sleeping in between; the
outbox does its own waiting (honouring Retry-After, with backoff, across restarts), so the
client gives up at once and reports what happened.
"""

from typing import Any

from pagerduty import Error, RestApiV2Client

from integrations.pagerduty.errors import is_duplicate, status_of, translate
from integrations.pagerduty.settings import PagerDutySettings

TIMEOUT = 10  # seconds; PagerDuty answers in well under one
ORDER = {"triggered": 0, "acknowledged": 1, "resolved": 2}


class PagerDuty:
    """The calls Vigilo makes, each failure translated for the outbox."""

    def __init__(self, settings: PagerDutySettings) -> None:
        self.settings = settings
        self._client: RestApiV2Client | None = None

    @property
    def client(self) -> RestApiV2Client:
        if self._client is None:  # built on first use: no I/O while the app is assembled
            client = RestApiV2Client(self.settings.api_key or "",
                                     default_from=self.settings.from_email,
                                     base_url=self.settings.api_url)
            client.timeout = TIMEOUT
            client.max_network_attempts = 0
            # With a finite retry count and a negative attempt budget the library returns
            # a 429 to us at once instead of sleeping on it.
            client.retry = {429: 1}
            client.max_http_attempts = -1
            self._client = client
        return self._client

    def create(self, body: dict[str, Any]) -> tuple[str, bool]:
        """(id, created): an incident_key already open on PagerDuty (a retry whose first
        answer was lost) finds that incident instead of raising."""
        key = body["incident"]["incident_key"]
        try:
            return str(self.client.rpost("/incidents", json=body)["id"]), True
        except Error as error:
            if not is_duplicate(error):
                raise translate(error, "creating the incident") from None
        found = self.find(key)
        if found is None:
            raise translate(Error("duplicate incident_key but no incident found"),
                            "finding the incident by its incident_key")
        return found, False

    def find(self, incident_key: str) -> str | None:
        try:
            found = self.client.rget("/incidents", params={"incident_key": incident_key})
        except Error as error:
            raise translate(error, "finding the incident by its incident_key") from None
        items = list(found) if isinstance(found, list) else []
        return str(items[0]["id"]) if items else None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def update(self, pd_id: str, what: str, **fields: Any) -> dict[str, Any]:
        body = {"incident": {"type": "incident_reference", **fields}}
        try:
            return dict(self.client.rput(f"/incidents/{pd_id}", json=body))
        except Error as error:
            raise translate(error, what) from None

    def set_status(self, pd_id: str, status: str) -> str:
        """Acknowledge or resolve; one that PagerDuty has already moved there (or past:
        resolved before we acknowledged) counts as done. Returns what PagerDuty shows."""
        body = {"incident": {"type": "incident_reference", "status": status}}
        try:
            return str(self.client.rput(f"/incidents/{pd_id}", json=body)["status"])
        except Error as error:
            if status_of(error) != 400:
                raise translate(error, f"setting the status {status}") from None
            current = str(self.get(pd_id).get("status") or "")
            if ORDER.get(current, -1) >= ORDER[status]:
                return current
            raise translate(error, f"setting the status {status}") from None

    def get(self, pd_id: str) -> dict[str, Any]:
        try:
            return dict(self.client.rget(f"/incidents/{pd_id}"))
        except Error as error:
            raise translate(error, "reading the incident") from None

    def note(self, pd_id: str, content: str) -> None:
        try:
            self.client.rpost(f"/incidents/{pd_id}/notes", json={"note": {"content": content}})
        except Error as error:
            raise translate(error, "adding a note") from None
