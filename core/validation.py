"""Limits on what people type. Errors name the field so modals can show them in place."""

import re
import unicodedata
from dataclasses import dataclass, field, fields
from datetime import timedelta
from functools import cache
from typing import Any

import phonenumbers

from core.channel_settings import archive_delay, clean_archive_delay, clean_channel_ref
from core.errors import InvalidInput
from core.numbers import is_digits
from core.permissions import Role, parse_role
from core.severity import Severity, parse_severity

MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_TEXT = 40_000  # a Slack message holds at most 40k characters
MAX_SERVICES = 50
MAX_SERVICE_NAME = 100
MAX_REASON = 2_000


def storable(text: str) -> str:
    """`text` without what PostgreSQL cannot store or people cannot see: NUL and the other
    control characters (tabs and line breaks stay), and lone surrogates (as U+FFFD)."""
    if text.isprintable():
        return text
    out = []
    for c in text:
        category = unicodedata.category(c)
        if category == "Cs":
            out.append("\ufffd")
        elif category != "Cc" or c in "\t\n\r":
            out.append(c)
    return "".join(out)


def control_character(text: str) -> str | None:
    """The first control character (or lone surrogate) in `text`, as U+XXXX, if any."""
    for c in text:
        if unicodedata.category(c) in ("Cc", "Cs") and not c.isspace():
            return f"U+{ord(c):04X}"
    return None


def clean_title(title: str | None) -> str:
    value = " ".join((title or "").split())
    bad = control_character(value)
    if bad:
        raise InvalidInput(f"The title holds an invisible control character ({bad}), often "
                           "pasted from a terminal. Type the title again without it.",
                           field="title")
    if not value:
        raise InvalidInput("The title is empty. Say in a few words what is broken.", field="title")
    if len(value) > MAX_TITLE:
        raise InvalidInput(
            f"The title is {len(value)} characters; the limit is {MAX_TITLE}. "
            "Put the details in the description.", field="title")
    return value


def clean_text(text: str | None, *, what: str = "text", limit: int = MAX_TEXT,
               required: bool = True, field_name: str | None = None) -> str:
    value = storable(text or "").strip()
    if required and not value:
        raise InvalidInput(f"The {what} is empty.", field=field_name or what)
    if len(value) > limit:
        raise InvalidInput(f"The {what} is {len(value)} characters; the limit is {limit}.",
                           field=field_name or what)
    return value


def clean_services(services: list[str] | str | None) -> list[str]:
    if services is None:
        return []
    items = services.split(",") if isinstance(services, str) else list(services)
    out: list[str] = []
    for item in items:
        name = " ".join(storable(str(item)).split())
        if not name:
            continue
        if len(name) > MAX_SERVICE_NAME:
            raise InvalidInput(f"Service name '{name[:40]}…' is longer than "
                               f"{MAX_SERVICE_NAME} characters.", field="services")
        if name not in out:
            out.append(name)
    if len(out) > MAX_SERVICES:
        raise InvalidInput(f"At most {MAX_SERVICES} affected services.", field="services")
    return out


@dataclass
class WorkspaceSettings:
    """Per-workspace behaviour; stored as JSON, defaults from the product description."""

    auto_create_channel: bool = True
    create_channel_on: str = "open"  # or "investigating"
    auto_archive: bool = True
    timeline_capture: str = "all"  # or "command"
    default_role: Role = Role.ENGINEER
    status_page_auto_publish_severity: Severity = Severity.P2
    page_severity: Severity = Severity.P2  # SMS the on-call / trigger PagerDuty at this or worse
    # A PagerDuty incident we don't mirror, triggered on PagerDuty, becomes a Vigilo incident.
    pagerduty_declare_on_trigger: bool = False
    # People's timeline notes are added to the PagerDuty incident too. Off by default: a
    # note is written for the team in Vigilo, and PagerDuty may be read by a wider audience.
    pagerduty_mirror_notes: bool = False
    # Storms, Suggest cause and reminders (core/storms.py, core/cause.py, core/reminders.py).
    storm_window_minutes: int = 30
    cause_lookback_hours: int = 24
    remind_p1_minutes: int = 15  # no timeline update for this long: nudge; 0 = never
    remind_p2_minutes: int = 30
    remind_p3_minutes: int = 60
    remind_p4_minutes: int = 0
    # The announcements channel (core/channel_settings.py): one message per incident at or
    # above announce_severity, kept current; "" is off. archive_delay "0" archives at once.
    announce_channel: str = ""
    announce_severity: Severity = Severity.P2
    archive_delay: str = "0"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def quiet_minutes(self) -> dict[str, int]:
        """Minutes without a timeline update before a reminder, by severity (0: never)."""
        return {"p1": self.remind_p1_minutes, "p2": self.remind_p2_minutes,
                "p3": self.remind_p3_minutes, "p4": self.remind_p4_minutes}

    @property
    def archive_after(self) -> timedelta:
        return archive_delay(self.archive_delay)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "WorkspaceSettings":
        settings = cls()
        for key, value in (data or {}).items():
            settings.set(key, value)
        return settings

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        out = {k: (v.value if hasattr(v, "value") else v) for k, v in out.items()}
        return out | self.extra

    def set(self, key: str, value: Any) -> None:
        """Validate and set one setting from text or JSON."""
        names = setting_names()
        if key not in names:
            raise InvalidInput(f"Unknown setting '{key}'. Settings: {', '.join(names)}.",
                               field=key)
        current = getattr(self, key)
        if isinstance(current, bool):
            setattr(self, key, _parse_bool(key, value))
        elif isinstance(current, int):
            setattr(self, key, _parse_minutes(key, value))
        elif key == "create_channel_on":
            setattr(self, key, _choice(key, value, ("open", "investigating")))
        elif key == "timeline_capture":
            setattr(self, key, _choice(key, value, ("all", "command")))
        elif key == "default_role":
            setattr(self, key, parse_role(str(value)))
        elif key == "announce_channel":
            setattr(self, key, clean_channel_ref(value))
        elif key == "archive_delay":
            setattr(self, key, clean_archive_delay(value))
        elif key in ("status_page_auto_publish_severity", "page_severity",
                     "announce_severity"):
            setattr(self, key, parse_severity(str(value)))


@cache
def setting_names() -> tuple[str, ...]:
    # Asked once per stored setting on every read of a workspace's settings (several per
    # declaration): `fields()` each time was most of what reading them cost.
    return tuple(f.name for f in fields(WorkspaceSettings) if f.name != "extra")


def _parse_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise InvalidInput(f"Setting '{key}' takes on/off, not '{value}'.", field=key)


MAX_SETTING_NUMBER = 100_000


def _parse_minutes(key: str, value: Any) -> int:
    text = str(value).strip()
    if not is_digits(text) or int(text) > MAX_SETTING_NUMBER:
        raise InvalidInput(f"Setting '{key}' takes a whole number from 0 to "
                           f"{MAX_SETTING_NUMBER}, not '{str(value)[:40]}'.", field=key)
    return int(text)


def _choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise InvalidInput(f"Setting '{key}' takes one of {', '.join(choices)}, not '{value}'.",
                           field=key)
    return text


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def clean_email(text: str) -> str:
    value = (text or "").strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidInput(f"'{text}' is not an e-mail address (like dana@example.com).",
                           field="email")
    return value


def clean_phone(text: str) -> str:
    """An international number in E.164 (+14155550123), as SMS providers want it."""
    value = (text or "").strip()
    hint = (f"'{text}' is not a phone number in international form: write it with its "
            "country code, like +14155550123 (E.164).")
    if not value.startswith("+"):
        raise InvalidInput(hint, field="phone")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise InvalidInput(hint, field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(hint, field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
