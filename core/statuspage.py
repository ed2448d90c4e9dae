"""The public status page's vocabulary: public statuses and the fixed words Vigilo uses when
no human has written any. Nothing here is ever drawn from internal text."""

from core.fsm import Status

INVESTIGATING = "investigating"
IDENTIFIED = "identified"
MONITORING = "monitoring"
RESOLVED = "resolved"
PUBLIC_STATUSES = (INVESTIGATING, IDENTIFIED, MONITORING, RESOLVED)

LABELS = {INVESTIGATING: "Investigating", IDENTIFIED: "Identified",
          MONITORING: "Monitoring", RESOLVED: "Resolved"}

# What the page says when the incident moves and nobody wrote public words for it.
DEFAULT_WORDS = {
    INVESTIGATING: "We are investigating a problem{services}.",
    IDENTIFIED: "We have identified the cause and are working on a fix.",
    MONITORING: "A fix is in place and we are monitoring the results.",
    RESOLVED: "This incident has been resolved.",
}
MAX_MESSAGE = 2_000
MAX_TITLE = 200


def public_status(status: Status) -> str:
    if status in (Status.RESOLVED, Status.POST_MORTEM):
        return RESOLVED
    if status == Status.MITIGATED:
        return MONITORING
    return INVESTIGATING


def default_words(public: str, services: tuple[str, ...] | list[str]) -> str:
    where = f" affecting {', '.join(services)}" if services else ""
    return DEFAULT_WORDS[public].format(services=where)


def default_title(services: tuple[str, ...] | list[str]) -> str:
    return f"Degraded service: {', '.join(services)}"[:MAX_TITLE] if services \
        else "Service disruption"
