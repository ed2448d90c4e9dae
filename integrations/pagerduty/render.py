"""How an incident looks on PagerDuty: our key in the title, urgency from severity."""

from typing import Any

from core.severity import Severity
from services.pagerduty import Mirror, Note

MAX_TITLE = 1024  # PagerDuty's limit on an incident title
MAX_NOTE = 25_000  # PagerDuty's limit on a note's content


def urgency(severity: Severity) -> str:
    """p1 and p2 wake someone (high); p3 and p4 wait for working hours (low)."""
    return "high" if severity.at_least(Severity.P2) else "low"


def title(mirror: Mirror) -> str:
    return f"[{mirror.key}] {mirror.severity.value.upper()} {mirror.title}"[:MAX_TITLE]


def incident_body(mirror: Mirror, service_id: str, link: str,
                  priority_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "incident", "title": title(mirror), "urgency": urgency(mirror.severity),
        "service": {"id": service_id, "type": "service_reference"},
        "incident_key": mirror.dedup_key,
        "body": {"type": "incident_body", "details": f"Vigilo {mirror.key}: {link}"}}
    if priority_id is not None:
        body["priority"] = {"id": priority_id, "type": "priority_reference"}
    return {"incident": body}


def incident_url(base_url: str, mirror: Mirror) -> str:
    return f"{base_url}/ws/{mirror.workspace_slug}/incidents/{mirror.key}"


def note(mirror: Mirror, found: Note) -> str:
    """Who wrote it, where: PagerDuty shows the API key's user as the note's author."""
    return f"{found.author} on Vigilo {mirror.key}: {found.text}"[:MAX_NOTE]
