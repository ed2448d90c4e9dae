"""The postmortem in Slack: open it, edit each section in its modal, review and publish."""

from typing import Any

from core.fsm import Move
from core.permissions import Role
from core.postmortem import Section
from services import incidents
from services.postmortem_view import get_postmortem
from tests.bot_harness import Slack, slack_fixture, value  # noqa: F401


def resolved(slack: Slack) -> None:
    actor = slack.world.actor()
    incidents.declare(slack.db, actor, title="Checkout is down")
    incidents.transition(slack.db, actor, 1, Move.INVESTIGATE)
    incidents.transition(slack.db, actor, 1, Move.RESOLVE, root_cause="bad deploy")


def buttons(reply: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for block in reply.get("blocks") or []:
        if block.get("accessory", {}).get("type") == "button":
            out.append((block["accessory"]["action_id"], block["accessory"]["value"]))
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                out.append((element["action_id"], element["value"]))
    return out


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


def test_postmortem_opens_with_drafts_and_edit_buttons(slack: Slack) -> None:
    resolved(slack)
    [reply] = slack.command("postmortem INC-0001")
    assert "now *Post-mortem*" in reply["text"]
    assert get_postmortem(slack.db, slack.world.ws_id, 1).incident_status == "post_mortem"
    found = buttons(reply)
    assert ("pm_edit", "INC-0001 summary") in found and ("pm_move", "INC-0001 review") in found
    text = str(reply["blocks"])
    assert "draft, not accepted" in text and "bad deploy" in text
    # again: shows the same postmortem, opens no second one
    [again] = slack.command("postmortem INC-0001")
    assert "Postmortem of" in str(again["blocks"]) and "now *Post-mortem*" not in again["text"]


def test_section_modal_accepts_the_draft_and_splits_long_text(slack: Slack) -> None:
    resolved(slack)
    slack.command("postmortem INC-0001")
    assert slack.command("postmortem INC-0001 edit root cause") == []
    view = slack.last_view()
    assert view["callback_id"] == "pm_section_root_cause"
    fields = inputs(view)
    assert fields["part_1"]["initial_value"] == "bad deploy"
    assert all(f["max_length"] == 3000 for f in fields.values())
    assert "first draft from the incident's record" in str(view["blocks"])
    slack.submit(view, {"part_1": value("bad deploy"), "part_2": value("")})
    assert get_postmortem(slack.db, slack.world.ws_id, 1).section(
        Section.ROOT_CAUSE).text == "bad deploy"
    # A 7,000-character summary goes in through three inputs and comes back whole.
    long_text = "\n".join(f"Line {n}: " + "x" * 60 for n in range(100))
    slack.click("pm_edit", "INC-0001 summary")
    view = slack.last_view()
    pieces = [long_text[i:i + 2900] for i in range(0, len(long_text), 2900)]
    slack.submit(view, {f"part_{n + 1}": value(p) for n, p in enumerate(pieces)})
    saved = get_postmortem(slack.db, slack.world.ws_id, 1).section(Section.SUMMARY).text
    assert saved.replace("\n", "") == long_text.replace("\n", "")
    slack.click("pm_edit", "INC-0001 summary")
    reopened = inputs(slack.last_view())
    assert len(reopened) >= 3 and "\n".join(
        f["initial_value"] for f in reopened.values() if f.get("initial_value")) == saved


def test_too_long_is_a_field_error_and_viewers_are_refused(slack: Slack) -> None:
    resolved(slack)
    slack.command("postmortem INC-0001")
    slack.command("postmortem INC-0001 edit summary")
    view = slack.last_view()
    answer = slack.submit(view, {f"part_{n}": value("y" * 3000) for n in range(1, 5)}
                          | {"part_1": value("y" * 3000 + "z" * 10)}).json()
    assert answer["response_action"] == "errors" and "12,000" in answer["errors"]["part_1"]
    refused = slack.reply("postmortem INC-0001 edit summary", role=Role.VIEWER)
    assert refused.startswith("🔒")
    assert "Unknown postmortem section" in slack.reply("postmortem INC-0001 edit nope")


def test_review_and_publish_announce_in_the_channel(slack: Slack) -> None:
    resolved(slack)
    slack.command("postmortem INC-0001")
    assert "review first" in slack.reply("postmortem INC-0001 publish")
    [reviewed] = slack.command("postmortem INC-0001 review")
    assert "now *in review*" in reviewed["text"]
    assert ("pm_move", "INC-0001 publish") in buttons(reviewed)
    refused = slack.click("pm_move", "INC-0001 publish")
    assert "before publishing: Summary, Impact, Root cause" in refused[0]["text"]
    for section in ("summary", "impact", "root_cause"):
        slack.click("pm_edit", f"INC-0001 {section}")
        slack.submit(slack.last_view(), {"part_1": value(f"our {section}")})
    [published] = slack.click("pm_move", "INC-0001 publish")
    assert "now *published*" in published["text"] and not any(
        action == "pm_edit" for action, _ in buttons(published))
    slack.drain()
    posted = [c.params.get("text", "") for c in slack.fake.calls_to("chat.postMessage")]
    assert any("Engineer published the postmortem" in str(t) for t in posted)


def test_ai_draft_is_refused_with_the_reason_when_no_model_is_configured(slack: Slack) -> None:
    resolved(slack)
    [reply] = slack.command("postmortem INC-0001")
    assert not any(action == "pm_ai_draft" for action, _ in buttons(reply))
    refused = slack.reply("postmortem INC-0001 ai")
    assert "AI drafts are off: not configured (VIGILO_AI_BASE_URL unset)" in refused
    assert "AI drafts are off" in slack.click("pm_ai_draft", "INC-0001")[0]["text"]


def test_open_postmortem_button_answers_with_the_postmortem(slack: Slack) -> None:
    resolved(slack)
    [reply] = slack.click("inc_postmortem", "INC-0001")
    assert "now *Post-mortem*" in reply["text"]
    assert ("pm_edit", "INC-0001 summary") in buttons(reply)


def test_admins_unlink_and_a_new_postmortem_starts_from_the_timeline(slack: Slack) -> None:
    resolved(slack)
    slack.command("postmortem INC-0001")
    slack.click("pm_edit", "INC-0001 summary")
    slack.submit(slack.last_view(), {"part_1": value("first try")})
    assert slack.reply("postmortem INC-0001 unlink").startswith("🔒")
    assert "Unlinked the postmortem" in slack.reply("postmortem INC-0001 unlink",
                                                    role=Role.ADMIN)
    [again] = slack.command("postmortem INC-0001")
    assert "A new postmortem of INC-0001" in again["text"]
    assert get_postmortem(slack.db, slack.world.ws_id, 1).section(Section.SUMMARY).text == ""
