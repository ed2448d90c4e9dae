"""Slack users as members and actors. First contact asks Slack (`users.info`), so it only
ever runs after ack(); the `known_*` lookups touch the database only."""

import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core.errors import DomainError, NotFound
from core.permissions import Role
from services import slack_team, workspaces
from services.actor import Actor
from services.slack_team import WorkspaceRef
from store.db import Database
from store.models import Member

NAME_TTL = 600.0  # seconds a non-member's name, looked up for a mention, is reused


class SlackUnavailable(DomainError):
    """Slack did not answer a lookup; nothing was changed."""

    code = "slack_unavailable"


def actor_of(member: Member) -> Actor:
    return Actor(member.workspace_id, member.id, member.display_name, Role(member.role), "slack")


class People:
    def __init__(self, db: Database, client: WebClient) -> None:
        self.db = db
        self.client = client
        self._names: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    # --- database only (safe before ack) -------------------------------------------------
    def known(self, workspace: WorkspaceRef, user_id: str) -> Member | None:
        return workspaces.find_member(self.db, workspace.id, user_id)

    def known_ids(self, workspace: WorkspaceRef, user_ids: list[str]) -> dict[str, int]:
        found = slack_team.members_by_slack_id(self.db, workspace.id, user_ids)
        return {user: member.id or 0 for user, member in found.items()}

    # --- may ask Slack (after ack) -------------------------------------------------------
    def member(self, workspace: WorkspaceRef, user_id: str) -> Member:
        """The member for a Slack user, created on first contact from `users.info`."""
        found = self.known(workspace, user_id)
        if found is not None:
            return found
        user = self.user_info(user_id)
        if user.get("deleted"):
            raise NotFound(f"<@{user_id}> has left this Slack workspace.", field="member")
        return slack_team.member_from_slack(self.db, workspace.id, user)

    def actor(self, workspace: WorkspaceRef, user_id: str) -> Actor:
        known = slack_team.actor_by_slack_id(self.db, workspace.id, user_id)
        return known if known is not None else actor_of(self.member(workspace, user_id))

    def members(self, workspace: WorkspaceRef, user_ids: list[str]) -> list[Member]:
        known = slack_team.members_by_slack_id(self.db, workspace.id, user_ids)
        return [known.get(user) or self.member(workspace, user) for user in user_ids]

    def names(self, user_ids: list[str]) -> dict[str, str]:
        """Display names of people who may not be members (mentions in messages)."""
        out = {}
        for user in user_ids:
            cached = self._names.get(user)
            if cached is not None and cached[0] > time.monotonic():
                out[user] = cached[1]
                continue
            try:
                name = slack_team.display_name(self.user_info(user))
            except DomainError:
                name = user  # unknown to Slack as well: keep the id, lose nothing
            with self._lock:
                self._names[user] = (time.monotonic() + NAME_TTL, name)
            out[user] = name
        return out

    def user_info(self, user_id: str) -> dict[str, Any]:
        try:
            return dict(self.client.users_info(user=user_id)["user"])
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else None
            if code in ("user_not_found", "users_not_found", "invalid_arguments"):
                raise NotFound(f"Slack knows no user {user_id}.", field="member") from None
            raise SlackUnavailable(f"Slack did not answer a lookup of <@{user_id}> ({code}); "
                                   "nothing changed, try again in a moment.") from None
        except OSError as error:
            raise SlackUnavailable(f"Slack is unreachable ({error}); nothing changed, try "
                                   "again in a moment.") from None
