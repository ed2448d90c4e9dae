"""The pure rules: FSM table, severities, keys, channel names, permissions."""

import itertools

import pytest

from core.channels import MAX_CHANNEL_NAME, channel_name, is_valid_channel_name
from core.errors import IllegalTransition, InvalidInput, PermissionDenied
from core.fsm import Move, Status, allowed_moves, apply_move, move_name, parse_move
from core.keys import format_key, parse_key
from core.permissions import Action, Role, is_allowed, require
from core.severity import Severity, parse_severity
from core.validation import WorkspaceSettings, clean_services, clean_title

LEGAL = {
    (Status.OPEN, Move.INVESTIGATE): Status.INVESTIGATING,
    (Status.INVESTIGATING, Move.MITIGATE): Status.MITIGATED,
    (Status.INVESTIGATING, Move.RESOLVE): Status.RESOLVED,
    (Status.MITIGATED, Move.RESOLVE): Status.RESOLVED,
    (Status.RESOLVED, Move.OPEN_POST_MORTEM): Status.POST_MORTEM,
    (Status.RESOLVED, Move.REOPEN): Status.INVESTIGATING,
}


@pytest.mark.parametrize("status,move", list(itertools.product(Status, Move)))
def test_every_status_move_pair_follows_the_table(status: Status, move: Move) -> None:
    if (status, move) in LEGAL:
        assert apply_move(status, move).target == LEGAL[(status, move)]
    else:
        with pytest.raises(IllegalTransition) as error:
            apply_move(status, move)
        assert status.value in error.value.message
        for allowed in allowed_moves(status):
            assert move_name(allowed) in error.value.message


def test_post_mortem_is_terminal_and_says_so() -> None:
    with pytest.raises(IllegalTransition, match="Allowed from post_mortem: none"):
        apply_move(Status.POST_MORTEM, Move.REOPEN)


def test_moves_parse_with_aliases() -> None:
    assert parse_move("postmortem") == Move.OPEN_POST_MORTEM
    with pytest.raises(InvalidInput, match="Unknown move 'explode'"):
        parse_move("explode")


def test_severity_parsing_and_order() -> None:
    assert parse_severity(None) == Severity.P3
    assert parse_severity("P1") == Severity.P1
    assert parse_severity("sev2") == Severity.P2
    assert parse_severity("critical") == Severity.P1
    assert Severity.P1.at_least(Severity.P2) and not Severity.P3.at_least(Severity.P2)
    with pytest.raises(InvalidInput, match="Unknown severity 'p9'"):
        parse_severity("p9")


@pytest.mark.parametrize("text,number", [("INC-0042", 42), ("inc-42", 42), ("INC42", 42),
                                         ("42", 42), (" inc-0001 ", 1), ("INC-12345", 12345)])
def test_keys_parse(text: str, number: int) -> None:
    assert parse_key(text) == number


@pytest.mark.parametrize("text", ["", "INC-", "INC-0", "abc", "INC-4x", "-1"])
def test_bad_keys_are_rejected(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_key(text)


def test_keys_format_and_grow_past_9999() -> None:
    assert format_key(7) == "INC-0007"
    assert format_key(10000) == "INC-10000"


@pytest.mark.parametrize("title", [
    "Checkout is down", "🔥🔥🔥", "Éçhec de paiement à Zürich", "支付服务中断", "!!!???", "x" * 500,
    "DROP TABLE incidents; --", "  leading and trailing  ", "UPPER_case-MiXeD",
])
def test_channel_names_are_always_valid(title: str) -> None:
    for number, suffix in ((1, 0), (42, 3), (123456, 99)):
        name = channel_name(number, title, suffix=suffix)
        assert is_valid_channel_name(name), name
        assert len(name) <= MAX_CHANNEL_NAME
        assert name.startswith(f"inc-{number:04d}")
        if suffix:
            assert name.endswith(f"-{suffix}")


def test_channel_name_folds_accents() -> None:
    assert channel_name(42, "Échec à Zürich") == "inc-0042-echec-a-zurich"


PERMISSION_TABLE = {
    # action: (viewer, engineer, admin, owner, engineer-who-commands)
    Action.READ: (1, 1, 1, 1, 1),
    Action.DECLARE: (0, 1, 1, 1, 1),
    Action.POST_UPDATE: (0, 1, 1, 1, 1),
    Action.EDIT_TIMELINE: (0, 1, 1, 1, 1),
    Action.TRANSITION: (0, 1, 1, 1, 1),
    Action.CHANGE_SEVERITY: (0, 1, 1, 1, 1),
    Action.SET_ROOT_CAUSE: (0, 1, 1, 1, 1),
    Action.ADD_RESPONDER: (0, 1, 1, 1, 1),
    Action.MANAGE_RESPONDERS: (0, 0, 1, 1, 1),
    Action.EDIT_FIELDS: (0, 0, 1, 1, 1),
    Action.FORCE_TRANSITION: (0, 0, 1, 1, 0),
    Action.UNLINK_POSTMORTEM: (0, 0, 1, 1, 0),
    Action.SHARE: (0, 1, 1, 1, 1),
    Action.ADMINISTER: (0, 0, 1, 1, 0),
}


@pytest.mark.parametrize("action", list(Action))
def test_permission_table_every_action_and_role(action: Action) -> None:
    expected = PERMISSION_TABLE[action]
    got = (is_allowed(Role.VIEWER, action), is_allowed(Role.ENGINEER, action),
           is_allowed(Role.ADMIN, action), is_allowed(Role.OWNER, action),
           is_allowed(Role.ENGINEER, action, is_commander=True))
    assert got == tuple(bool(x) for x in expected)


def test_viewer_commander_still_cannot_write() -> None:
    assert not is_allowed(Role.VIEWER, Action.MANAGE_RESPONDERS, is_commander=True)
    with pytest.raises(PermissionDenied, match="viewer"):
        require(Role.VIEWER, Action.TRANSITION)


def test_titles_and_services_are_cleaned() -> None:
    assert clean_title("  Checkout\n is   down ") == "Checkout is down"
    with pytest.raises(InvalidInput, match="empty"):
        clean_title("   ")
    with pytest.raises(InvalidInput, match="201 characters"):
        clean_title("x" * 201)
    assert clean_services("api, web ,api,,") == ["api", "web"]


def test_workspace_settings_validate() -> None:
    settings = WorkspaceSettings.from_json({"auto_archive": "off", "timeline_capture": "command"})
    assert settings.auto_archive is False and settings.timeline_capture == "command"
    with pytest.raises(InvalidInput, match="Unknown setting"):
        settings.set("colour", "blue")
    with pytest.raises(InvalidInput, match="takes one of"):
        settings.set("create_channel_on", "never")
    assert WorkspaceSettings.from_json(settings.to_json()) == settings


def test_moves_are_named_as_the_readme_names_them() -> None:
    with pytest.raises(IllegalTransition) as error:
        apply_move(Status.OPEN, Move.OPEN_POST_MORTEM)
    assert error.value.message == ("Cannot open the postmortem: the incident is open. "
                                   "Allowed from open: investigate.")
    with pytest.raises(InvalidInput) as unknown:
        parse_move("explode")
    assert "Moves: investigate, mitigate, resolve, postmortem, reopen." in unknown.value.message
    assert "open_post_mortem" not in unknown.value.message


def test_only_ascii_digits_count_as_a_number() -> None:
    from core.numbers import is_digits

    assert is_digits("0042") and not is_digits("") and not is_digits("4 2")
    assert not is_digits("²") and not is_digits("١٢")  # int() refuses one, reads the other
