"""The App Home tab: open incidents grouped by status, then the recently resolved.

However many incidents there are, the view stays within Slack's limits (100 blocks, 3,000
characters a section): each group shows its most pressing incidents and summarises the rest
with a link to the web list.
"""

import logging
from datetime import datetime
from typing import Any

from slack_bolt import App

from bot import render
from bot.actions import HOME_DECLARE
from bot.runtime import Bot
from bot.suggestions import storm_blocks
from core.fsm import Status
from integrations.slack.blocks import button, context, header
from services.overview import StatusGroup, overview
from services.slack_team import WorkspaceRef
from store.types import utcnow

log = logging.getLogger(__name__)

MAX_BLOCKS = 100
PER_STATUS = 20  # 3 active groups × (title + 20 + overflow) + resolved + top: < 100 blocks
RESOLVED = 5
TITLES = {Status.OPEN: "Open", Status.INVESTIGATING: "Investigating",
          Status.MITIGATED: "Mitigated", Status.RESOLVED: "Recently resolved (7 days)"}


def home_view(bot: Bot, workspace: WorkspaceRef, now: datetime | None = None) -> dict[str, Any]:
    groups = overview(bot.db, workspace.id, per_status=PER_STATUS, resolved=RESOLVED, now=now)
    return render_home(groups, bot, workspace, now or utcnow())


def render_home(groups: list[StatusGroup], bot: Bot, workspace: WorkspaceRef,
                now: datetime) -> dict[str, Any]:
    web = bot.list_url(workspace)
    active = sum(g.total for g in groups if g.status != Status.RESOLVED)
    blocks: list[dict[str, Any]] = [
        header(f"Incidents · {active} active" if active else "Incidents · all clear"),
        {"type": "actions", "elements": [
            button(HOME_DECLARE, "Declare an incident", "declare", style="danger"),
            {"type": "button", "action_id": "link_web_list", "url": web,
             "text": {"type": "plain_text", "text": "Open the web list"}}]},
    ]
    blocks += storm_blocks(bot, workspace)
    for group in groups:
        if not group.total:
            continue
        blocks.append(render.section(f"*{TITLES[group.status]}* ({group.total})"))
        blocks += [render.section(render.incident_line(s.incident, s.key,
                                                       bot.incident_url(workspace, s.key),
                                                       s.commander, now))
                   for s in group.incidents]
        hidden = group.total - len(group.incidents)
        if hidden > 0:
            blocks.append(context(f"…and {hidden} more {TITLES[group.status].lower()} — "
                                  f"<{web}|see them all in the web list>"))
    if not active:
        blocks.append(render.section("No active incidents. 🎉 Declare one with the button "
                                     "above or `/vigilo new`."))
    if len(blocks) > MAX_BLOCKS:  # a safety net: the budget above keeps us well inside
        blocks = blocks[: MAX_BLOCKS - 1] + [context(f"<{web}|More in the web list>")]
    return {"type": "home", "blocks": blocks}


def register(app: App, bot: Bot) -> None:
    def on_home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        bot.later(publish, bot, body.get("team_id"), str(event.get("user") or ""))

    app.event("app_home_opened")(on_home_opened)


def publish(bot: Bot, team_id: str | None, user_id: str) -> None:
    workspace = bot.workspace(team_id)
    if workspace is None or not user_id:
        return
    bot.client.views_publish(user_id=user_id, view=home_view(bot, workspace))
