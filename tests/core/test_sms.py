"""SMS segments: 160 GSM-7, 70 UCS-2; pages shorten the title, never the key or link."""

from hypothesis import given
from hypothesis import strategies as st

from core.sms import fit, gsm7_length, segments

LINK = "https://vigilo.example.com/ws/acme/incidents/INC-0042"


def test_segment_limits() -> None:
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("ü" * 160) == 1  # ü is in the GSM-7 alphabet
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # two septets each
    assert segments("✓" * 70) == 1 and segments("✓" * 71) == 2
    assert gsm7_length("😀") is None


def test_fit_keeps_key_and_link() -> None:
    text = fit("P1 INC-0042", "Checkout is down in every region " * 5, LINK)
    assert segments(text) == 1 and text.startswith("P1 INC-0042 Checkout")
    assert text.endswith("... " + LINK)
    short = fit("P1 INC-0042", "DB down", LINK)
    assert short == f"P1 INC-0042 DB down {LINK}"


@given(st.text(max_size=300))
def test_any_title_fits_one_segment_with_a_normal_link(title: str) -> None:
    text = fit("P1 INC-0042", " ".join(title.split()), LINK)
    assert segments(text) == 1
    assert text.startswith("P1 INC-0042 ") and text.endswith(LINK)
