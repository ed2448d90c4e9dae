"""Twilio SMS: pages to whoever is on call, with the real `twilio` client, and the status
callbacks that report them (signature checked)."""

from integrations.twilio.integration import Twilio, build
from integrations.twilio.settings import TwilioSettings

__all__ = ["Twilio", "TwilioSettings", "build"]
