"""What insight adds to existing replies: runbooks under a declaration (WA.7), open storms
on the home tab (WD.8). Each returns blocks; an empty list when there is nothing to say."""

from typing import Any

from bot import render
from bot.runtime import Bot
from integrations.slack.insight_blocks import storm_buttons
from services import runbooks, storm_views
from services.slack_team import WorkspaceRef
from store.models import Incident

MAX_STORMS = 3  # the home tab stays well inside Slack's 100 blocks


def runbook_blocks(bot: Bot, workspace: WorkspaceRef, incident: Incident) -> list[dict[str, Any]]:
    found = runbooks.for_text(bot.db, workspace.id, incident.title,
                              list(incident.services or []), incident.description)
    if not found:
        return []
    lines = [f"• <{rb.link}|{render.echo(rb.title)}>" if rb.link else
             f"• {render.echo(rb.title)}" for _, rb in found]
    return [render.section("📖 *Runbooks that may help*\n" + "\n".join(lines))]


def storm_blocks(bot: Bot, workspace: WorkspaceRef) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for view in storm_views.open_storms(bot.db, workspace.id)[:MAX_STORMS]:
        keys = ", ".join(m.key for m in view.members[:20])
        blocks += [render.section(f"🌩️ *Storm #{view.id}*: {view.banner} "
                                  f"({view.reason_text})\n{keys}"), storm_buttons(view.id)]
    return blocks
