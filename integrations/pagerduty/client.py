"""The maintained `pagerduty` REST API v2 client, set up for the outbox.

The library retries 429 forever and network errors three times, sleeping in between; the
outbox does its own waiting (honouring Retry-After, with backoff, across restarts), so the
client gives up at once and reports what happened.
"""

import logging
import threading
import time
from typing import Any

from pagerduty import Error, RestApiV2Client

from integrations.pagerduty.errors import is_duplicate, status_of, translate
from integrations.pagerduty.settings import PagerDutySettings

log = logging.getLogger(__name__)

TIMEOUT = 10  # seconds; PagerDuty answers in well under one
ORDER = {"triggered": 0, "acknowledged": 1, "resolved": 2}
# Priorities are account objects that admins rarely touch: one list call per ten minutes per
# process, so a rename or a newly enabled priority scheme shows within that.
PRIORITIES_TTL = 600.0


class PagerDuty:
    """The calls Vigilo makes, each failure translated for the outbox."""

    def __init__(self, settings: PagerDutySettings) -> None:
        self.settings = settings
        self._client: RestApiV2Client | None = None
        self._priorities: dict[str, str] = {}  # lower-cased name → id
        self._priorities_at: float | None = None  # monotonic time of the last list
        self._priorities_lock = threading.Lock()
        self._told: set[str] = set()  # what was logged once already

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

    def notes(self, pd_id: str) -> list[str]:
        """The contents of the incident's notes."""
        try:
            found = self.client.rget(f"/incidents/{pd_id}/notes")
        except Error as error:
            raise translate(error, "reading the incident's notes") from None
        return [str(n.get("content") or "") for n in (found if isinstance(found, list) else [])
                if isinstance(n, dict)]

    def priority_id(self, name: str) -> str | None:
        """The id of the account's priority called `name` (case-insensitive: our "p1" is
        PagerDuty's "P1"), or None when the account has none by that name — priorities are
        a Standard/Enterprise feature, off on many accounts — which is logged once."""
        priorities = self.priorities()
        found = priorities.get(name.lower())
        if found is None:
            why = ("the account has no priorities" if not priorities else
                   f"no priority named {name.upper()} (the account has "
                   f"{', '.join(sorted(p.upper() for p in priorities))})")
            self._once(why, "PagerDuty %s: Vigilo sets the urgency only", why)
        return found

    def priorities(self) -> dict[str, str]:
        """The account's priorities by lower-cased name, listed at most once per TTL."""
        with self._priorities_lock:
            fresh = self._priorities_at is not None and \
                time.monotonic() - self._priorities_at < PRIORITIES_TTL
            if not fresh:
                self._priorities = self._list_priorities()
                self._priorities_at = time.monotonic()
            return dict(self._priorities)

    def _list_priorities(self) -> dict[str, str]:
        try:
            found = self.client.rget("/priorities")
        except Error as error:
            # An account without the feature may refuse the call instead of listing none.
            if status_of(error) in (400, 404):
                return {}
            raise translate(error, "listing the account's priorities") from None
        items = list(found) if isinstance(found, list) else []
        return {str(p["name"]).lower(): str(p["id"]) for p in items
                if isinstance(p, dict) and p.get("name") and p.get("id")}

    def _once(self, key: str, message: str, *args: Any) -> None:
        if key not in self._told:
            self._told.add(key)
            log.warning(message, *args)
