"""Twilio's answers, sorted into what the outbox does next."""

from twilio.base.exceptions import TwilioException, TwilioRestException

from integrations.outbox import PermanentFailure, RetryAfter

DEFAULT_RETRY_AFTER = 10.0
# Refusals that concern this one number: the page to this person failed, others go on.
NUMBER_ERRORS = frozenset({21211, 21214, 21217, 21408, 21610, 21612, 21614, 30003, 30005,
                           30006})


class TwilioUnavailable(RuntimeError):
    """Twilio is down or unreachable: retried with backoff by the outbox."""


class NumberRefused(Exception):
    """Twilio will never deliver to this number; the commander is told, no retry."""


def translate(error: Exception) -> Exception:
    if isinstance(error, TwilioRestException):
        status = int(error.status or 0)
        error.msg = str(error.msg or "").removeprefix("Unable to create record: ")
        if status == 429 or error.code == 20429:
            return RetryAfter(DEFAULT_RETRY_AFTER, "Twilio rate-limited sending the SMS")
        if status >= 500:
            return TwilioUnavailable(f"Twilio answered HTTP {status} ({error.code})")
        if status == 401 or error.code == 20003:
            return PermanentFailure("Twilio refused the credentials (HTTP 401): check "
                                    "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        if error.code in NUMBER_ERRORS:
            return NumberRefused(f"Twilio refused the number: {error.msg} (error {error.code})")
        if error.code == 21212:
            return PermanentFailure(f"Twilio refused TWILIO_FROM_NUMBER: {error.msg}")
        return PermanentFailure(f"Twilio refused the SMS: {error.msg} (error {error.code})")
    if isinstance(error, TwilioException | OSError):
        return TwilioUnavailable(f"Twilio unreachable: {type(error).__name__}: {error}"[:500])
    return error
