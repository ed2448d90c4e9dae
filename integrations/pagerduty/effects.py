"""The PagerDuty side of an incident, delivered by the outbox: create, acknowledge, resolve,
keep the urgency and the priority in step with the severity, and mirror people's notes.

Every handler is safe to run again: a create carries the incident's incident_key, so a retry
after a lost answer finds the first PagerDuty incident instead of opening a second, and its
id is stored before anything else; status changes PagerDuty already shows count as done.
"""

from typing import Any

from core import effects as fx
from integrations.outbox import Effect, Handler, PermanentFailure
from integrations.pagerduty import render
from integrations.pagerduty.client import PagerDuty
from services import pagerduty as mirrors
from services.pagerduty import Mirror
from store.db import Database


def priority_name(mirror: Mirror) -> str:
    return mirror.severity.value.upper()


def handlers(db: Database, pagerduty: PagerDuty, base_url: str) -> dict[str, Handler]:
    effects = PagerDutyEffects(db, pagerduty, base_url)
    return {fx.PAGERDUTY_TRIGGER: effects.trigger,
            fx.PAGERDUTY_ACKNOWLEDGE: effects.acknowledge,
            fx.PAGERDUTY_RESOLVE: effects.resolve,
            fx.PAGERDUTY_URGENCY: effects.urgency,
            fx.PAGERDUTY_NOTE: effects.note}


class PagerDutyEffects:
    def __init__(self, db: Database, pagerduty: PagerDuty, base_url: str) -> None:
        self.db = db
        self.pd = pagerduty
        self.base_url = base_url

    def trigger(self, effect: Effect) -> str:
        mirror = self._mirror(effect)
        if mirror.pagerduty_incident_id:
            # Back into paging range after a de-escalation: PagerDuty's incident follows.
            return f"{mirror.key} is already mirrored as {mirror.pagerduty_incident_id}; " \
                   + self._align(mirror, mirror.pagerduty_incident_id)
        priority, why_none = self._priority(mirror)
        body = render.incident_body(mirror, self.pd.settings.service_id or "",
                                    render.incident_url(self.base_url, mirror), priority)
        pd_id, created = self.pd.create(body)
        stored = mirrors.link(self.db, mirror.incident_id, pd_id)
        how = "created" if created else "found (created by an earlier attempt)"
        shown = why_none or f"priority {priority_name(mirror)}"
        return f"PagerDuty incident {stored} {how} for {mirror.key}, urgency " \
               f"{render.urgency(mirror.severity)}, {shown}"

    def acknowledge(self, effect: Effect) -> str:
        return self._status(effect, "acknowledged")

    def resolve(self, effect: Effect) -> str:
        return self._status(effect, "resolved")

    def urgency(self, effect: Effect) -> str:
        mirror = self._mirror(effect)
        if not mirror.pagerduty_incident_id:
            return f"{mirror.key} has no PagerDuty incident; no urgency to change"
        return self._align(mirror, mirror.pagerduty_incident_id)

    def _align(self, mirror: Mirror, pd_id: str) -> str:
        """Urgency and priority as the severity says, in one update. Listing the priorities
        may fail like any call: then the whole change is retried, since keeping the
        priority in step is the point."""
        wanted = render.urgency(mirror.severity)
        priority = self.pd.priority_id(mirror.severity.value)
        fields: dict[str, Any] = {"urgency": wanted}
        if priority is not None:
            fields["priority"] = {"id": priority, "type": "priority_reference"}
        self.pd.update(pd_id, "changing the urgency and priority", **fields)
        shown = f"priority {priority_name(mirror)}" if priority else \
            "no such priority on the account"
        return f"{pd_id} urgency {wanted}, {shown} ({mirror.severity.value})"

    def _priority(self, mirror: Mirror) -> tuple[str | None, str | None]:
        """The priority to create with; a failure to list them never holds up the page
        (the next severity change sets it), it is said in the outcome instead."""
        try:
            found = self.pd.priority_id(mirror.severity.value)
        except Exception as error:
            return None, f"no priority set (listing priorities failed: {error})"[:300]
        return (found, None) if found else (None, "no such priority on the account")

    def note(self, effect: Effect) -> str:
        """Add a person's note. PagerDuty notes carry no key of ours, so a retry (the first
        answer may have been lost after the note was made) looks for it first."""
        mirror = self._mirror(effect)
        pd_id = mirror.pagerduty_incident_id
        if not pd_id:
            return f"{mirror.key} has no PagerDuty incident; the note stays in Vigilo"
        found = mirrors.note(self.db, int(effect.payload.get("event_id") or 0))
        if found is None or found.deleted:
            return f"{mirror.key}: the note was deleted before it was sent"
        content = render.note(mirror, found)
        if effect.attempts > 1 and content in self.pd.notes(pd_id):
            return f"note by {found.author} found on {pd_id} (added by an earlier attempt)"
        self.pd.note(pd_id, content)
        return f"note by {found.author} added to {pd_id}"

    def _status(self, effect: Effect, status: str) -> str:
        mirror = self._mirror(effect)
        if not mirror.pagerduty_incident_id:
            return f"{mirror.key} has no PagerDuty incident; nothing to mark {status}"
        shown = self.pd.set_status(mirror.pagerduty_incident_id, status)
        return f"{mirror.pagerduty_incident_id} is {shown}"

    def _mirror(self, effect: Effect) -> Mirror:
        found = mirrors.mirror(self.db, effect.incident_id or 0)
        if found is None:
            raise PermanentFailure(f"incident {effect.incident_id} no longer exists")
        return found
