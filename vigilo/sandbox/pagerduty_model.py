"""What the fake PagerDuty keeps and answers: recorded calls, incidents as the REST API
shows them, injected faults, errors in PagerDuty's shape, and webhook signatures."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any

Params = dict[str, Any]


@dataclass(frozen=True)
class PdCall:
    method: str
    path: str
    body: Params
    headers: dict[str, str]
    at: float = field(default_factory=time.time)  # when it arrived (benchmarks)


@dataclass
class PdIncident:
    id: str
    number: int
    title: str
    service_id: str
    urgency: str
    incident_key: str | None
    status: str = "triggered"
    priority: str | None = None
    notes: list[str] = field(default_factory=list)
    created_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                  time.gmtime()))

    def to_api(self, base: str) -> Params:
        return {"id": self.id, "type": "incident", "incident_number": self.number,
                "title": self.title, "status": self.status, "urgency": self.urgency,
                "incident_key": self.incident_key, "created_at": self.created_at,
                "service": {"id": self.service_id, "type": "service_reference"},
                "priority": ({"id": self.priority, "type": "priority_reference"}
                             if self.priority else None),
                "html_url": f"{base}incidents/{self.id}", "self": f"{base}incidents/{self.id}"}


LOST = 0  # the call takes effect, then the connection drops: the answer never comes
GARBAGE = -1  # the call takes effect, then a 200 whose body is not JSON (a proxy's page)


@dataclass(frozen=True)
class Fault:
    status: int  # HTTP status to answer, or LOST, or GARBAGE
    retry_after: int | None = None
    delay: float = 0.0


ORDER = {"triggered": 0, "acknowledged": 1, "resolved": 2}


def sign_webhook(secret: str, body: bytes) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def route_of(path: str) -> str:
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] == "incidents":
        parts[1] = "{id}"
    return "/" + "/".join(parts)


def error(code: int, message: str, errors: list[str] | None = None) -> Params:
    return {"error": {"code": code, "message": message, "errors": errors or []}}
