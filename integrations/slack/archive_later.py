"""Resolved with an `archive_delay`: plan the archive, then warn the channel.

The plan is written first (services/channel_archives.py), so a heads-up that fails to post
never loses the archive; the scheduler job records the archive effect when it is due. The
heads-up is an announcement, so it carries the Reopen button and takes the previous one's.
"""

from datetime import timedelta
from typing import TYPE_CHECKING

from core.fsm import CLOSED_STATUSES
from integrations.outbox import Effect, NotConfigured
from integrations.slack import store
from integrations.slack.broadcast_blocks import archive_heads_up
from services import channel_archives
from store.types import utcnow

if TYPE_CHECKING:  # effects.py registers this handler
    from integrations.slack.effects import SlackEffects



class ArchiveLater:
    def __init__(self, slack: "SlackEffects") -> None:
        self.slack = slack

    def __call__(self, effect: Effect) -> str:
        slack, db = self.slack, self.slack.db
        snap = slack._snapshot(effect)
        if snap.channel_id is None:
            raise NotConfigured("the incident has no Slack channel to archive")
        if snap.status not in CLOSED_STATUSES:
            raise NotConfigured(f"the incident was reopened ({snap.status}): "
                                "its channel stays open")
        if not snap.settings.auto_archive:
            raise NotConfigured("auto_archive is off for this workspace")
        minutes = int(effect.payload.get("delay_minutes") or 0)
        resolved_at = snap.resolved_at or utcnow()
        plan = channel_archives.plan(db, snap.incident_id, snap.workspace_id, resolved_at,
                                     resolved_at + timedelta(minutes=minutes))
        if "ts" not in store.progress(db, effect.id):
            slack.post_announcement(snap, archive_heads_up(minutes),
                                    lambda ts: store.mark(db, effect.id, ts=ts))
        return (f"heads-up posted in {snap.where}; archive planned for "
                f"{plan.due_at:%Y-%m-%d %H:%M} UTC")
