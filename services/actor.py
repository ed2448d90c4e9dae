"""Who is acting: a member (Slack, web), an API token, or the operator at the CLI."""

from dataclasses import dataclass

from core.permissions import Role


@dataclass(frozen=True)
class Actor:
    workspace_id: int
    member_id: int | None
    name: str
    role: Role
    source: str = "slack"  # slack, cli, api, web, pagerduty

    @classmethod
    def operator(cls, workspace_id: int, source: str = "cli") -> "Actor":
        """The person at the server's console: trusted like an owner."""
        return cls(workspace_id, None, "operator", Role.OWNER, source)
