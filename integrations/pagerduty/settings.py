"""PagerDuty's settings, typed: off until the API key, sender and service are all set."""

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_API_URL = "https://api.pagerduty.com"


@dataclass(frozen=True)
class PagerDutySettings:
    api_key: str | None = None
    from_email: str | None = None
    service_id: str | None = None
    api_url: str = DEFAULT_API_URL
    webhook_secret: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "PagerDutySettings":
        return cls(api_key=env.get("PAGERDUTY_API_KEY") or None,
                   from_email=env.get("PAGERDUTY_FROM_EMAIL") or None,
                   service_id=env.get("PAGERDUTY_SERVICE_ID") or None,
                   api_url=(env.get("PAGERDUTY_API_URL") or DEFAULT_API_URL).rstrip("/"),
                   webhook_secret=env.get("PAGERDUTY_WEBHOOK_SECRET") or None)

    @property
    def why_off(self) -> str | None:
        """None when outbound PagerDuty works, else what the operator must set."""
        missing = [name for name, value in (("PAGERDUTY_API_KEY", self.api_key),
                                            ("PAGERDUTY_FROM_EMAIL", self.from_email),
                                            ("PAGERDUTY_SERVICE_ID", self.service_id))
                   if not value]
        if missing:
            return f"not configured ({', '.join(missing)} unset)"
        if not self.api_url.startswith("https://"):
            return f"PAGERDUTY_API_URL must be https (the client refuses {self.api_url})"
        return None

    @property
    def enabled(self) -> bool:
        return self.why_off is None

    @property
    def inbound_why_off(self) -> str | None:
        return None if self.webhook_secret else "PAGERDUTY_WEBHOOK_SECRET is unset"

    @property
    def secrets(self) -> list[str]:
        """Webhook signing secrets; several (comma-separated) while one is being rotated."""
        return [s.strip() for s in (self.webhook_secret or "").split(",") if s.strip()]
