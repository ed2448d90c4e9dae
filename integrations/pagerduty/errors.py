"""PagerDuty's answers, sorted into what the outbox does next.

429 waits as long as PagerDuty asked; 5xx, network failures and 2xx answers that are not
JSON are retried with backoff (every call is safe to repeat, see effects.py);
bad credentials and refusals no retry can fix become PermanentFailure with the fix.
"""

from typing import Any

from pagerduty import Error

from integrations.outbox import PermanentFailure, RetryAfter

DEFAULT_RETRY_AFTER = 30.0
DUPLICATE = "matching dedup key already exists"


class PagerDutyUnavailable(RuntimeError):
    """PagerDuty is down, slow or unreachable: retried with backoff by the outbox."""


def status_of(error: Error) -> int | None:
    response = getattr(error, "response", None)
    return int(response.status_code) if response is not None else None


def messages(error: Error) -> list[str]:
    response = getattr(error, "response", None)
    try:
        data: Any = response.json() if response is not None else {}
    except ValueError:
        return []
    found = data.get("error") if isinstance(data, dict) else None
    if not isinstance(found, dict):
        return []
    return [str(found.get("message") or ""), *(str(e) for e in found.get("errors") or [])]


def is_duplicate(error: Error) -> bool:
    return status_of(error) == 400 and any(DUPLICATE in m for m in messages(error))


def translate(error: Error, what: str) -> Exception:
    """The exception the outbox should see for a failed call."""
    status = status_of(error)
    if status is None:  # timeouts, refused connections, TLS: the network, not the request
        cause = error.__cause__ or error
        return PagerDutyUnavailable(f"PagerDuty unreachable while {what}: "
                                    f"{type(cause).__name__}: {cause}"[:500])
    if status < 300:  # an answer that is no answer (a proxy's page): it may have happened
        return PagerDutyUnavailable(f"PagerDuty's answer to {what} was not JSON "
                                    f"(HTTP {status}): {error}"[:500])
    if status == 429:
        return RetryAfter(_retry_after(error), f"PagerDuty rate-limited {what}")
    if status >= 500:
        return PagerDutyUnavailable(f"PagerDuty answered HTTP {status} while {what}")
    if status == 401:
        return PermanentFailure(f"PagerDuty refused the API key while {what} (HTTP 401): set "
                                "PAGERDUTY_API_KEY to a valid REST API key and retry with "
                                "`vigilo outbox retry --dead`")
    if status == 403:
        return PermanentFailure(f"PagerDuty forbade {what} (HTTP 403): the API key needs "
                                "write access (a full-access or user token)")
    detail = "; ".join(m for m in messages(error) if m) or f"HTTP {status}"
    if status == 404:
        return PermanentFailure(f"PagerDuty knows no such incident while {what} ({detail})")
    return PermanentFailure(f"PagerDuty refused {what}: {detail}. Check PAGERDUTY_SERVICE_ID "
                            "and PAGERDUTY_FROM_EMAIL (a user on the account)")


def _retry_after(error: Error) -> float:
    response = getattr(error, "response", None)
    raw = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(raw)) if raw is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER
