"""Who may do what: one table, enforced by the services and mirrored by the UI."""

from enum import StrEnum

from core.errors import InvalidInput, PermissionDenied


class Role(StrEnum):
    VIEWER = "viewer"
    ENGINEER = "engineer"
    ADMIN = "admin"
    OWNER = "owner"


class Action(StrEnum):
    READ = "read"
    DECLARE = "declare"
    POST_UPDATE = "post_update"  # timeline entries, action items
    EDIT_TIMELINE = "edit_timeline"
    TRANSITION = "transition"  # investigate, mitigate, resolve, reopen, postmortem
    CHANGE_SEVERITY = "change_severity"
    SET_ROOT_CAUSE = "set_root_cause"
    ADD_RESPONDER = "add_responder"
    MANAGE_RESPONDERS = "manage_responders"  # promote, demote, remove, assign commander
    EDIT_FIELDS = "edit_fields"  # title, description, services, detected_at, ...
    FORCE_TRANSITION = "force_transition"
    UNLINK_POSTMORTEM = "unlink_postmortem"
    SHARE = "share"
    ADMINISTER = "administer"  # workspace settings and members


_ALL = frozenset(Role)
_RESPONDERS = frozenset({Role.ENGINEER, Role.ADMIN, Role.OWNER})
_ADMINS = frozenset({Role.ADMIN, Role.OWNER})

# action -> (workspace roles allowed, whether the incident's commander is allowed too)
PERMISSIONS: dict[Action, tuple[frozenset[Role], bool]] = {
    Action.READ: (_ALL, True),
    Action.DECLARE: (_RESPONDERS, False),
    Action.POST_UPDATE: (_RESPONDERS, True),
    Action.EDIT_TIMELINE: (_RESPONDERS, True),
    Action.TRANSITION: (_RESPONDERS, True),
    Action.CHANGE_SEVERITY: (_RESPONDERS, True),
    Action.SET_ROOT_CAUSE: (_RESPONDERS, True),
    Action.ADD_RESPONDER: (_RESPONDERS, True),
    Action.MANAGE_RESPONDERS: (_ADMINS, True),
    Action.EDIT_FIELDS: (_ADMINS, True),
    Action.FORCE_TRANSITION: (_ADMINS, False),
    Action.UNLINK_POSTMORTEM: (_ADMINS, False),
    Action.SHARE: (_RESPONDERS, True),
    Action.ADMINISTER: (_ADMINS, False),
}

_REASONS = {
    Action.MANAGE_RESPONDERS: "Only the incident commander or a workspace admin can do that.",
    Action.EDIT_FIELDS: "Only the incident commander or a workspace admin can edit fields.",
    Action.FORCE_TRANSITION: "Only workspace admins and owners can force a status.",
    Action.UNLINK_POSTMORTEM: "Only workspace admins and owners can unlink a postmortem.",
    Action.ADMINISTER: "Only workspace admins and owners can change workspace settings.",
}


def is_allowed(role: Role, action: Action, *, is_commander: bool = False) -> bool:
    roles, commander_ok = PERMISSIONS[action]
    # A viewer who somehow became commander still cannot write: reading rights come first.
    if is_commander and commander_ok and role != Role.VIEWER:
        return True
    return role in roles


def require(role: Role, action: Action, *, is_commander: bool = False) -> None:
    if not is_allowed(role, action, is_commander=is_commander):
        reason = _REASONS.get(action)
        if reason is None:
            reason = (f"Your role ({role.value}) can read incidents but not "
                      f"{action.value.replace('_', ' ')}. Ask a workspace admin for the "
                      "engineer role.")
        raise PermissionDenied(reason)


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InvalidInput(f"Unknown role '{text}'. Roles: {names}.", field="role") from None


class ResponderRole(StrEnum):
    COMMANDER = "commander"
    RESPONDER = "responder"
    OBSERVER = "observer"


def parse_responder_role(text: str | None) -> ResponderRole:
    if text is None or not text.strip():
        return ResponderRole.RESPONDER
    try:
        return ResponderRole(text.strip().lower())
    except ValueError:
        raise InvalidInput(
            f"Unknown responder role '{text}'. Use responder or observer "
            "(promote someone to make them commander).", field="role") from None
