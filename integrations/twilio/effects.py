"""The SMS page, delivered by the outbox: text whoever is on call now.

Each person's page for one trigger is claimed in the database before Twilio is asked, and
Twilio's answer is written down at once; a retry (or another replica) that finds a claim
without an answer looks the SMS up on Twilio by its marker instead of sending it again. So
nobody is paged twice for one trigger. Every page that cannot go out is told to the
commander, with the reason.
"""

from datetime import timedelta

from core import effects as fx
from integrations.outbox import Effect, Handler, NotConfigured, PermanentFailure
from integrations.twilio.client import Twilio
from integrations.twilio.errors import NumberRefused
from integrations.twilio.render import page_text
from services import paging
from services.oncall import Person
from services.paging import PageFacts
from store.db import Database
from store.types import utcnow

LOOKBACK = timedelta(days=2)  # how far back a lost answer's SMS is looked for


def handlers(db: Database, twilio: Twilio) -> dict[str, Handler]:
    return {fx.TWILIO_PAGE: TwilioEffects(db, twilio).page}


def unconfigured_handlers(db: Database, why_off: str) -> dict[str, Handler]:
    def page(effect: Effect) -> str:
        facts = paging.page_facts(db, effect.incident_id or 0)
        if facts is None:
            raise PermanentFailure(f"incident {effect.incident_id} no longer exists")
        paging.problem(db, facts, f"Twilio is {why_off}")
        raise NotConfigured(f"twilio is off: {why_off}; the commander was told")
    return {fx.TWILIO_PAGE: page}


class TwilioEffects:
    def __init__(self, db: Database, twilio: Twilio) -> None:
        self.db = db
        self.twilio = twilio

    def page(self, effect: Effect) -> str:
        facts = paging.page_facts(self.db, effect.incident_id or 0)
        if facts is None:
            raise PermanentFailure(f"incident {effect.incident_id} no longer exists")
        people, empty = paging.on_call(self.db, facts.workspace_id)
        if not people:
            reason = ("the on-call schedule has no current slot" if empty
                      else "there is no on-call schedule (vigilo oncall create)")
            paging.problem(self.db, facts, reason)
            return f"nobody paged for {facts.key}: {reason}"
        outcomes = [self._page_one(effect, facts, person) for _, person in people]
        return f"{facts.key}: " + "; ".join(outcomes)

    def _page_one(self, effect: Effect, facts: PageFacts, person: Person) -> str:
        claim = paging.claim(self.db, facts, effect.idempotency_key, person)
        if claim.status not in ("new", "sending"):
            return f"{person.name} already paged ({claim.status})"
        if not person.phone:
            paging.refused(self.db, facts, claim.row_id, person,
                           f"{person.name} has no phone number on their profile")
            return f"{person.name} has no phone number"
        if claim.status == "sending":  # an earlier attempt got no answer: did it go out?
            found = self.twilio.find(person.phone, f"#{claim.marker}", utcnow() - LOOKBACK)
            if found is not None:
                paging.accepted(self.db, claim.row_id, *found)
                return f"{person.name} was paged by an earlier attempt ({found[0]})"
        try:
            sid, status = self.twilio.send(person.phone,
                                           page_text(facts, self.twilio.settings.base_url,
                                                     claim.marker))
        except NumberRefused as error:
            paging.refused(self.db, facts, claim.row_id, person, str(error))
            return f"{person.name}: {error}"
        paging.accepted(self.db, claim.row_id, sid, status)
        return f"{person.name} paged ({sid}, {status})"
