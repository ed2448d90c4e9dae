"""Twilio's settings, typed: off until the account, its token and a sender are set."""

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_API_URL = "https://api.twilio.com"


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str | None = None
    auth_token: str | None = None
    from_number: str | None = None
    api_url: str = DEFAULT_API_URL
    base_url: str = "http://localhost:8000"  # VIGILO_BASE_URL: where status callbacks go

    @classmethod
    def from_env(cls, env: Mapping[str, str], base_url: str) -> "TwilioSettings":
        return cls(account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
                   auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
                   from_number=env.get("TWILIO_FROM_NUMBER") or None,
                   api_url=(env.get("TWILIO_API_URL") or DEFAULT_API_URL).rstrip("/"),
                   base_url=base_url.rstrip("/"))

    @property
    def why_off(self) -> str | None:
        missing = [name for name, value in (("TWILIO_ACCOUNT_SID", self.account_sid),
                                            ("TWILIO_AUTH_TOKEN", self.auth_token),
                                            ("TWILIO_FROM_NUMBER", self.from_number))
                   if not value]
        return f"not configured ({', '.join(missing)} unset)" if missing else None

    @property
    def enabled(self) -> bool:
        return self.why_off is None

    @property
    def status_callback(self) -> str:
        return f"{self.base_url}/integrations/twilio_status/"
