"""A direct message to the owner of an overdue action item, with a Mark done button.

By direct message, not in the incident channel: follow-ups outlive the incident, whose
channel is usually archived by then.
"""

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from integrations.outbox import Effect, Handler, NotConfigured
from integrations.slack import store
from integrations.slack.blocks import ACTION_ITEM_DONE, button, escape
from integrations.slack.errors import translate
from services import action_item_reminders
from store.db import Database


def handler(db: Database, client: WebClient, base_url: str) -> Handler:
    def remind_owner(effect: Effect) -> str:
        item_id = int(effect.payload.get("item_id") or 0)
        found = action_item_reminders.reminder(db, item_id)
        if found is None:
            raise NotConfigured(f"action item #{item_id} is gone")
        if found.done:
            raise NotConfigured(f"action item #{item_id} is done already")
        if not found.owner_slack_id:
            raise NotConfigured(f"action item #{item_id} has no owner any more")
        if "ts" in store.progress(db, effect.id):
            return f"reminded the owner of #{item_id} already"
        url = f"{base_url}/ws/{found.workspace_slug}/incidents/{found.key}"
        days = int(effect.payload.get("days") or 0)
        due = found.due_on.isoformat() if found.due_on else "?"
        text = (f"⏰ Action item #{item_id} from <{url}|{found.key}> "
                f"({escape(found.incident_title)}) was due {due}, {days} day"
                f"{'s' if days != 1 else ''} ago: {escape(found.text)}")
        done_button = button(ACTION_ITEM_DONE, "Mark done", str(item_id), style="primary")
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
            {"type": "actions", "elements": [done_button]}]
        try:
            answer = client.chat_postMessage(channel=found.owner_slack_id, text=text[:3000],
                                             blocks=blocks, unfurl_links=False)
        except SlackApiError as error:
            raise translate(error, "chat.postMessage", f"a DM to {found.owner_slack_id}"
                            ) from None
        store.mark(db, effect.id, ts=str(answer["ts"]))
        return f"reminded the owner of #{item_id} ({days} days overdue)"

    return remind_owner
