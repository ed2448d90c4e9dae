"""Further Slack teams a workspace serves (an Enterprise Grid org has several).

The first team stays in `workspace.slack_team_id`; each further one is a row here. A team id
belongs to at most one workspace (services.workspaces checks both places).
"""

from sqlmodel import Field, SQLModel


class WorkspaceSlackTeam(SQLModel, table=True):
    __tablename__ = "workspace_slack_team"

    team_id: str = Field(primary_key=True, max_length=32)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
