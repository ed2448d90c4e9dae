"""Twilio as one integration object: the client and the SMS page handler."""

from core import effects as fx
from integrations.outbox import Handler
from integrations.twilio import effects
from integrations.twilio.client import Twilio as Client
from integrations.twilio.settings import TwilioSettings
from store.db import Database

KINDS = frozenset({fx.TWILIO_PAGE})


class Twilio:
    name = "twilio"
    kinds = KINDS
    needs_start = False  # start() does no I/O: nothing to wait for

    def __init__(self, settings: TwilioSettings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.client = Client(settings)

    def handlers(self) -> dict[str, Handler]:
        if not self.settings.enabled:
            return {}
        return effects.handlers(self.db, self.client)

    def handlers_when_off(self) -> dict[str, Handler]:
        """Off, a page still tells the commander that no SMS went out, and why."""
        return effects.unconfigured_handlers(self.db, self.settings.why_off or "off")

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None


def build(settings: TwilioSettings, db: Database) -> Twilio:
    return Twilio(settings, db)
