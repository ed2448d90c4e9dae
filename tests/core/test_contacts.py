"""Phone numbers and e-mail addresses people type: E.164 or a specific error, never a crash."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.validation import clean_email, clean_phone


@pytest.mark.parametrize("typed,stored", [("+14155550123", "+14155550123"),
                                          ("+1 (415) 555-0123", "+14155550123"),
                                          ("+44 20 7946 0958", "+442079460958"),
                                          (" +33 1 42 68 53 00 ", "+33142685300")])
def test_international_numbers_are_stored_in_e164(typed: str, stored: str) -> None:
    assert clean_phone(typed) == stored


@pytest.mark.parametrize("typed", ["555-1234", "4155550123", "+1 555", "+999 123456", "",
                                   "call me"])
def test_anything_else_is_refused_with_the_form_to_use(typed: str) -> None:
    with pytest.raises(InvalidInput, match=r"like \+14155550123 \(E\.164\)") as error:
        clean_phone(typed)
    assert error.value.field == "phone"


@given(st.text(max_size=40))
def test_any_text_is_a_number_or_a_clear_error(text: str) -> None:
    for check in (clean_phone, clean_email):
        try:
            assert check(text)
        except InvalidInput as error:
            assert error.field in ("phone", "email")


def test_email_addresses() -> None:
    assert clean_email(" dana@example.com ") == "dana@example.com"
    for bad in ("not-an-email", "a@b", "@example.com", "dana@", "da na@example.com"):
        with pytest.raises(InvalidInput, match="not an e-mail address"):
            clean_email(bad)
