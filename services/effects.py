"""Which side effects a change needs. Called inside the service's transaction."""

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from core import effects as fx
from core.fsm import Move, Status
from core.severity import Severity
from core.validation import WorkspaceSettings
from services.records import record_effect
from store.models import Incident, Workspace


def settings_of(session: Session, workspace_id: int) -> WorkspaceSettings:
    workspace = session.get(Workspace, workspace_id)
    return WorkspaceSettings.from_json(workspace.settings if workspace else None)


def on_declared(session: Session, incident: Incident, source: str = "") -> None:
    settings = settings_of(session, incident.workspace_id)
    record = _recorder(source)
    if settings.auto_create_channel and settings.create_channel_on == "open":
        fx_channel(session, incident)
    severity = Severity(incident.severity)
    if severity.at_least(settings.page_severity):
        record(session, fx.PAGERDUTY_TRIGGER, incident, "declared")
        record(session, fx.TWILIO_PAGE, incident, "declared")
    if incident.auto_publish_to_status and severity.at_least(
            settings.status_page_auto_publish_severity):
        record(session, fx.STATUSPAGE_PUBLISH, incident, "declared")


def on_transition(session: Session, incident: Incident, move: Move | None, old: Status,
                  event_id: int, text: str, source: str = "") -> None:
    settings = settings_of(session, incident.workspace_id)
    record = _recorder(source)
    new = Status(incident.status)
    if (settings.auto_create_channel and settings.create_channel_on == "investigating"
            and new == Status.INVESTIGATING):
        fx_channel(session, incident)
    announce(session, incident, event_id, text)
    if new == Status.INVESTIGATING and old == Status.OPEN:
        record(session, fx.PAGERDUTY_ACKNOWLEDGE, incident, str(event_id))
    if new == Status.RESOLVED:
        if settings.auto_archive:
            record(session, fx.SLACK_ARCHIVE, incident, str(event_id))
        record(session, fx.PAGERDUTY_RESOLVE, incident, str(event_id))
        record(session, fx.STATUSPAGE_RESOLVE, incident, str(event_id))
    elif old == Status.RESOLVED and move == Move.REOPEN:
        record(session, fx.STATUSPAGE_PUBLISH, incident, str(event_id))


def on_severity(session: Session, incident: Incident, old: Severity, event_id: int,
                text: str, source: str = "") -> None:
    settings = settings_of(session, incident.workspace_id)
    record = _recorder(source)
    new = Severity(incident.severity)
    announce(session, incident, event_id, text)
    # Escalating into paging range pages now; de-escalating never un-pages anyone.
    if new.at_least(settings.page_severity) and not old.at_least(settings.page_severity):
        record(session, fx.PAGERDUTY_TRIGGER, incident, f"severity-{event_id}")
        record(session, fx.TWILIO_PAGE, incident, f"severity-{event_id}")
    elif old.at_least(settings.page_severity) or incident.pagerduty_incident_id:
        # PagerDuty was paged (or is about to be: the lane keeps the order).
        record(session, fx.PAGERDUTY_URGENCY, incident, str(event_id))
    if (incident.auto_publish_to_status
            and new.at_least(settings.status_page_auto_publish_severity)
            and not old.at_least(settings.status_page_auto_publish_severity)):
        record(session, fx.STATUSPAGE_PUBLISH, incident, f"severity-{event_id}")


def announce(session: Session, incident: Incident, event_id: int, text: str) -> None:
    record(session, fx.SLACK_ANNOUNCE, incident, str(event_id), event_id=event_id, text=text)


def invite(session: Session, incident: Incident, member_id: int, event_id: int) -> None:
    record(session, fx.SLACK_INVITE, incident, str(event_id), member_ids=[member_id])


def fx_channel(session: Session, incident: Incident) -> None:
    # One creation effect per incident ever: its key has no per-event part.
    record(session, fx.SLACK_CREATE_CHANNEL, incident, "channel")


record = record_effect


# Integrations that mirror the incident both ways. (A Slack user's change still needs its
# Slack announcement: "slack" as a source is a person, not an echo.)
MIRRORS = frozenset({"pagerduty"})


def _recorder(source: str) -> Callable[..., None]:
    """`record`, except for the integration that caused the change: a resolve that came
    from PagerDuty is not pushed back to PagerDuty."""
    def recorder(session: Session, kind: str, incident: Incident, key: str,
                 **payload: Any) -> None:
        if source in MIRRORS and fx.integration_of(kind) == source:
            return
        record_effect(session, kind, incident, key, **payload)
    return recorder
