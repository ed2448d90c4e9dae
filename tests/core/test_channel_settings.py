"""What admins may type for announce_channel, announce_severity and archive_delay."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.channel_settings import clean_archive_delay, clean_channel_ref
from core.errors import InvalidInput
from core.validation import WorkspaceSettings


@pytest.mark.parametrize(("typed", "stored"), [
    ("#incidents", "#incidents"), ("incidents", "#incidents"), (" #Incidents ", "#incidents"),
    ("C0123ABCD", "C0123ABCD"), ("<#C0123ABCD|incidents>", "C0123ABCD"),
    ("<#G0123ABCD>", "G0123ABCD"), ("off", ""), ("", ""), ("none", ""),
])
def test_channel_refs(typed: str, stored: str) -> None:
    assert clean_channel_ref(typed) == stored


@pytest.mark.parametrize("typed", ["#in cidents", "#ünïcode", "#" + "a" * 81, "<#nope>",
                                   "#a,b", "https://slack.com/x"])
def test_bad_channel_refs_say_what_a_channel_looks_like(typed: str) -> None:
    with pytest.raises(InvalidInput, match="like #incidents or its id") as error:
        clean_channel_ref(typed)
    assert error.value.field == "announce_channel"


@pytest.mark.parametrize(("typed", "stored"), [
    ("0", "0"), ("now", "0"), ("at once", "0"), ("30m", "30m"), ("24h", "24h"),
    ("1h30m", "1h30m"), ("90m", "1h30m"), ("2d", "2d"), ("48h", "2d"), ("1d", "24h"),
    (" 2 h ", "2h"), ("30d", "30d"),
])
def test_archive_delays(typed: str, stored: str) -> None:
    assert clean_archive_delay(typed) == stored


@pytest.mark.parametrize("typed", ["24", "soon", "-1h", "1h1h", "30m2h", "2.5h", "1w",
                                   "²h", "99999999999999999999d", "31d"])
def test_bad_archive_delays_are_refused_with_examples(typed: str) -> None:
    with pytest.raises(InvalidInput) as error:
        clean_archive_delay(typed)
    assert error.value.field == "archive_delay"
    assert "30m, 24h" in str(error.value) or "at most 30d" in str(error.value)


@given(st.text(max_size=30))
def test_any_text_is_a_setting_or_a_clear_error_and_stored_values_read_back(text: str) -> None:
    for key in ("announce_channel", "archive_delay", "announce_severity"):
        settings = WorkspaceSettings()
        try:
            settings.set(key, text)
        except InvalidInput as error:
            assert error.field == key or key == "announce_severity"
            continue
        again = WorkspaceSettings.from_json(settings.to_json())
        assert again.to_json()[key] == settings.to_json()[key]


def test_settings_round_trip_and_the_delay_as_a_length() -> None:
    settings = WorkspaceSettings.from_json({"announce_channel": "#incidents",
                                            "announce_severity": "p1", "archive_delay": "24h"})
    assert settings.to_json()["announce_severity"] == "p1"
    assert settings.archive_after.total_seconds() == 86400
    assert WorkspaceSettings().archive_after.total_seconds() == 0
    assert WorkspaceSettings().announce_channel == ""
