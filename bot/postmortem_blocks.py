"""The postmortem as a Slack message: each section's opening lines with an Edit button, and
the next status move. Long sections are shortened here with a pointer to the whole text
(the web tab, the Markdown, or the section's own modal), never cut without saying so."""

from typing import Any

from core.postmortem import PmMove, PmStatus, Section, impact_lines
from integrations.slack.blocks import ACTION_ITEM_DONE, button, escape
from services.postmortem_view import PostmortemView

ACTION_PM_EDIT = "pm_edit"  # value: "INC-0042 summary"
ACTION_PM_MOVE = "pm_move"  # value: "INC-0042 review"
ACTION_PM_DRAFT_AI = "pm_ai_draft"  # value: "INC-0042"
EXCERPT = 600
ITEMS_SHOWN = 10  # two blocks each: the message stays under Slack's 50
ACTION_ITEM_REOPEN = "item_reopen"
ACTION_ITEM_ASSIGN = "item_assign"  # opens the Assign modal
Block = dict[str, Any]

_NEXT = {PmStatus.DRAFT: [(PmMove.REVIEW, "Send for review")],
         PmStatus.IN_REVIEW: [(PmMove.PUBLISH, "Publish"), (PmMove.BACK_TO_DRAFT,
                                                           "Back to draft")],
         PmStatus.PUBLISHED: []}


def excerpt(text: str, limit: int = EXCERPT) -> str:
    if len(text) <= limit:
        return escape(text)
    cut = text[:limit].rsplit(" ", 1)[0]
    return (f"{escape(cut)} … _({len(text) - len(cut):,} more characters: the Postmortem tab "
            "and the Markdown show it all)_")


def item_blocks(text: str, item_id: int, done: bool) -> list[Block]:
    """One action item: its line, then Mark done (or Reopen) and Assign."""
    toggle = (button(ACTION_ITEM_REOPEN, "Reopen", str(item_id)) if done
              else button(ACTION_ITEM_DONE, "Mark done", str(item_id)))
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "actions", "elements": [toggle, button(ACTION_ITEM_ASSIGN, "Assign…",
                                                            str(item_id))]}]


def postmortem_message(view: PostmortemView, url: str, *, ai: bool = False
                       ) -> tuple[str, list[Block]]:
    last = view.last(view.status)
    who = f" by {escape(last.actor)}" if last and last.actor else ""
    head = (f"📘 *Postmortem of <{url}|{view.key}>* {escape(view.title)}\n"
            f"*Status:* {view.status.label}{who} · *Timeline:* {view.timeline_total} entries "
            f"· <{url}/postmortem.md|Markdown>")
    blocks: list[Block] = [{"type": "section", "text": {"type": "mrkdwn", "text": head}}]
    editable = view.status != PmStatus.PUBLISHED
    for section in Section:
        shown = view.section(section)
        if section == Section.IMPACT and not shown.shown:
            body = "\n".join(impact_lines(list(view.stones)))
        else:
            body = excerpt(shown.shown) if shown.shown else "_Not written yet._"
        tag = " _(draft, not accepted)_" if shown.is_draft else ""
        if shown.draft_note and not shown.text:
            tag += f"\n_{escape(shown.draft_note)}_"
        block: Block = {"type": "section",
                        "text": {"type": "mrkdwn", "text": f"*{section.heading}*{tag}\n{body}"}}
        if editable:
            block["accessory"] = button(ACTION_PM_EDIT, "Edit", f"{view.key} {section.value}")
        blocks.append(block)
    open_items = [i for i in view.items if not i.done]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
        f"*Action items:* {len(open_items)} open of {len(view.items)} · add one with "
        "`/vigilo action <text> [@owner] [due YYYY-MM-DD]`")}]})
    for item in view.items[:ITEMS_SHOWN]:
        owner = f"<@{item.owner_slack_id}>" if item.owner_slack_id else "no owner"
        due = f" · due {item.due_on.isoformat()}" if item.due_on else ""
        state = "✅" if item.done else "☐"
        blocks += item_blocks(f"{state} #{item.id} {excerpt(item.text, 300)} · {owner}{due}",
                              item.id, item.done)
    elements = [button(ACTION_PM_MOVE, label, f"{view.key} {move.value}",
                       style="primary" if move == PmMove.PUBLISH else None)
                for move, label in _NEXT[view.status]]
    if ai and editable:
        elements.append(button(ACTION_PM_DRAFT_AI, "AI first draft", view.key))
    if elements:
        blocks.append({"type": "actions", "elements": elements})
    return f"Postmortem of {view.key}: {view.status.label}", blocks
