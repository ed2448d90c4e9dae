"""Block Kit for the messages Vigilo posts: situation report, announcements, closing summary.

The buttons are a contract with the Bolt listeners in bot/: each `action_id` below names one
next move, and every button's `value` is the incident key ("INC-0042"). Which buttons appear
follows the FSM, so a message never offers a move the services would refuse.
"""

from typing import Any

from core.fsm import ACTIVE_STATUSES, Move, Status, allowed_moves

ACTION_INVESTIGATE = "inc_investigate"
ACTION_MITIGATE = "inc_mitigate"
ACTION_RESOLVE = "inc_resolve"
ACTION_ADD_RESPONDERS = "inc_add_responders"
ACTION_POSTMORTEM = "inc_postmortem"
ACTION_REOPEN = "inc_reopen"

NEXT_MOVES_BLOCK_ID = "inc_next_moves"

Block = dict[str, Any]

# action_id and button label for each FSM move.
MOVE_BUTTONS: dict[Move, tuple[str, str]] = {
    Move.INVESTIGATE: (ACTION_INVESTIGATE, "Start investigating"),
    Move.MITIGATE: (ACTION_MITIGATE, "Mark mitigated"),
    Move.RESOLVE: (ACTION_RESOLVE, "Resolve"),
    Move.OPEN_POST_MORTEM: (ACTION_POSTMORTEM, "Open postmortem"),
    Move.REOPEN: (ACTION_REOPEN, "Reopen"),
}
ACTION_MOVES: dict[str, Move] = {action: move for move, (action, _) in MOVE_BUTTONS.items()}


def button(action_id: str, label: str, key: str, *, style: str | None = None) -> Block:
    out: Block = {"type": "button", "action_id": action_id, "value": key,
                  "text": {"type": "plain_text", "text": label, "emoji": True}}
    if style:
        out["style"] = style
    return out


def next_move_buttons(status: str, key: str) -> Block:
    """An `actions` block with the moves the FSM allows from `status`, plus Add responders
    while the incident is active. `elements` is empty for a status with no next move (Slack
    refuses an empty actions block: use `next_move_blocks` to get [] instead)."""
    current = Status(status)
    elements: list[Block] = []
    for move in allowed_moves(current):
        action_id, label = MOVE_BUTTONS[move]
        elements.append(button(action_id, label, key, style=None if elements else "primary"))
    if current in ACTIVE_STATUSES:
        elements.append(button(ACTION_ADD_RESPONDERS, "Add responders", key))
    return {"type": "actions", "block_id": NEXT_MOVES_BLOCK_ID, "elements": elements}


def next_move_blocks(status: str, key: str) -> list[Block]:
    block = next_move_buttons(status, key)
    return [block] if block["elements"] else []
