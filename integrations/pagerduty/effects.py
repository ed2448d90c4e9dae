"""The PagerDuty side of an incident, delivered by the outbox: create, acknowledge, resolve,
and keep the urgency in step with the severity.

Every handler is safe to run again: a create carries the incident's incident_key, so a retry
after a lost answer finds the first PagerDuty incident instead of opening a second, and its
id is stored before anything else; status changes PagerDuty already shows count as done.
"""

from core import effects as fx
from integrations.outbox import Effect, Handler, PermanentFailure
from integrations.pagerduty import render
from integrations.pagerduty.client import PagerDuty
from services import pagerduty as mirrors
from services.pagerduty import Mirror
from store.db import Database


def handlers(db: Database, pagerduty: PagerDuty, base_url: str) -> dict[str, Handler]:
    effects = PagerDutyEffects(db, pagerduty, base_url)
    return {fx.PAGERDUTY_TRIGGER: effects.trigger,
            fx.PAGERDUTY_ACKNOWLEDGE: effects.acknowledge,
            fx.PAGERDUTY_RESOLVE: effects.resolve,
            fx.PAGERDUTY_URGENCY: effects.urgency}


class PagerDutyEffects:
    def __init__(self, db: Database, pagerduty: PagerDuty, base_url: str) -> None:
        self.db = db
        self.pd = pagerduty
        self.base_url = base_url

    def trigger(self, effect: Effect) -> str:
        mirror = self._mirror(effect)
        if mirror.pagerduty_incident_id:
            return f"{mirror.key} is already mirrored as {mirror.pagerduty_incident_id}"
        body = render.incident_body(mirror, self.pd.settings.service_id or "",
                                    render.incident_url(self.base_url, mirror))
        pd_id, created = self.pd.create(body)
        stored = mirrors.link(self.db, mirror.incident_id, pd_id)
        how = "created" if created else "found (created by an earlier attempt)"
        return f"PagerDuty incident {stored} {how} for {mirror.key}, urgency " \
               f"{render.urgency(mirror.severity)}"

    def acknowledge(self, effect: Effect) -> str:
        return self._status(effect, "acknowledged")

    def resolve(self, effect: Effect) -> str:
        return self._status(effect, "resolved")

    def urgency(self, effect: Effect) -> str:
        mirror = self._mirror(effect)
        if not mirror.pagerduty_incident_id:
            return f"{mirror.key} has no PagerDuty incident; no urgency to change"
        wanted = render.urgency(mirror.severity)
        self.pd.update(mirror.pagerduty_incident_id, "changing the urgency", urgency=wanted)
        return f"{mirror.pagerduty_incident_id} urgency {wanted} ({mirror.severity.value})"

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
