"""Phone numbers for SMS paging: stored in E.164 (`+4915112345678`), checked on the way in."""

import phonenumbers

from core.errors import InvalidInput


def clean_phone(text: str | None) -> str | None:
    """The E.164 form of an international number; None for an empty one.

    A number without its country code (`555-1234`) is refused rather than guessed: a page
    sent to the wrong country reaches nobody, or the wrong person.
    """
    value = (text or "").strip()
    if not value:
        return None
    if len(value) > 40:
        raise InvalidInput("That phone number is too long.", field="phone")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidInput(f"'{value}' is not a phone number Vigilo can text: give it in "
                           "international form with the country code, like +14155550123.",
                           field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_or_none(text: str | None) -> str | None:
    """A profile's free-text phone field as E.164, or None when it isn't a usable number."""
    try:
        return clean_phone(text)
    except InvalidInput:
        return None
