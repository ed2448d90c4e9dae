"""How an incident looks on PagerDuty: our key in the title, urgency from severity."""

from typing import Any

from core.severity import Severity
from services.pagerduty import Mirror

MAX_TITLE = 1024  # PagerDuty's limit on an incident title


def urgency(severity: Severity) -> str:
    """p1 and p2 wake someone (high); p3 and p4 wait for working hours (low)."""
    return "high" if severity.at_least(Severity.P2) else "low"


def title(mirror: Mirror) -> str:
    return f"[{mirror.key}] {mirror.severity.value.upper()} {mirror.title}"[:MAX_TITLE]


def incident_body(mirror: Mirror, service_id: str, link: str) -> dict[str, Any]:
    return {"incident": {
        "type": "incident", "title": title(mirror), "urgency": urgency(mirror.severity),
        "service": {"id": service_id, "type": "service_reference"},
        "incident_key": mirror.dedup_key,
        "body": {"type": "incident_body", "details": f"Vigilo {mirror.key}: {link}"}}}


def incident_url(base_url: str, mirror: Mirror) -> str:
    return f"{base_url}/ws/{mirror.workspace_slug}/incidents/{mirror.key}"
