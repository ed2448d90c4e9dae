"""The Postmortem tab and the Markdown export: readable, complete, same access as the page."""

from hypothesis import given
from hypothesis import strategies as st

from core.fsm import Move
from core.permissions import Role
from core.postmortem import PmMove, Section
from services import action_items, incidents, postmortems, timeline
from tests.web_support import Page, Web, web_fixture  # noqa: F401
from webhooks.postmortem_md import inline

URL = "/ws/acme/incidents/INC-0001"


def opened(web: Web) -> None:
    actor = web.own.actor
    helper = web.world.members_extra[0]
    timeline.append_entry(web.db, actor, 1, "Rolled *back* the | deploy\n# not a heading")
    action_items.add_action_item(web.db, actor, 1, "Alert on queue depth", owner_id=helper.id)
    incidents.transition(web.db, actor, 1, Move.INVESTIGATE)
    incidents.transition(web.db, actor, 1, Move.MITIGATE)
    incidents.transition(web.db, actor, 1, Move.RESOLVE, root_cause="Bad deploy of cart")
    incidents.transition(web.db, actor, 1, Move.OPEN_POST_MORTEM)


def test_tab_renders_sections_and_a_readable_timeline(web: Web) -> None:
    opened(web)
    postmortems.edit_section(web.db, web.own.actor, 1, Section.SUMMARY, "Carts failed.")
    response = web.get(f"{URL}?tab=postmortem", via="session")
    page = Page(response.text)
    words = page.words
    for heading in ("Summary", "Impact", "Root cause", "Contributing factors", "Timeline",
                    "Action items", "Lessons learned"):
        assert heading in page.text
    assert "Carts failed." in words and "Bad deploy of cart" in words
    assert "Draft (from the incident's record), not yet accepted" in words  # root cause
    assert "Alert on queue depth" in words and "Eng 0" in words
    assert "Acknowledged" in words and "Timeline copied" in words
    # No raw ISO timestamps in what people read (only in <time datetime=...>).
    assert "+00:00" not in words and " UTC" in words
    assert any((a.get("href") or "").endswith("INC-0001/postmortem.md")
               for tag, a in page.tags if tag == "a")


def test_markdown_export_is_wiki_ready(web: Web) -> None:
    opened(web)
    actor = web.own.actor
    for section in (Section.SUMMARY, Section.IMPACT, Section.ROOT_CAUSE):
        postmortems.edit_section(web.db, actor, 1, section, f"Our {section.value}.")
    postmortems.move(web.db, actor, 1, PmMove.REVIEW)
    postmortems.move(web.db, actor, 1, PmMove.PUBLISH)
    response = web.get(f"{URL}/postmortem.md", via="session")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert text.startswith("# Postmortem: INC-0001 ")
    assert "**Status:** published by Engineer" in text
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## Summary", "## Impact", "## Root cause", "## Contributing factors",
                        "## Timeline", "## Action items", "## Lessons learned"]
    assert "| Milestone | When (UTC) | Since the previous one |" in text
    assert "Rolled \\*back\\* the \\| deploy \\# not a heading" in text  # one safe line
    assert "- [ ] #1 Alert on queue depth (owner: Eng 0)" in text
    assert "+00:00" not in text
    assert "Not published yet" not in text


def test_markdown_access_matches_the_page(web: Web) -> None:
    opened(web)
    assert web.get(f"{URL}/postmortem.md", via="share").status_code == 200
    assert web.get(f"{URL}/postmortem.md", via="token").status_code == 200
    assert web.get(f"{URL}/postmortem.md").status_code == 401
    other = web.get(f"{URL}/postmortem.md", via="session", tenant=web.other)
    assert other.status_code == 404
    # another workspace's share link opens nothing here
    assert web.get(f"{URL}/postmortem.md", via="share", share=web.other.share).status_code == 404


def test_no_postmortem_is_404(web: Web) -> None:
    assert web.get(f"{URL}/postmortem.md", via="session").status_code == 404
    viewer = Role.VIEWER  # reading needs no write role: a viewer's session reads it too
    assert viewer.value == "viewer"


@given(st.text(max_size=300))
def test_any_typed_text_is_one_inert_markdown_line(text: str) -> None:
    line = inline(text)
    assert "\n" not in line and "\r" not in line
    unescaped = line.replace("\\\\", "")
    for special in "`*_[]<>#|":
        assert all(unescaped[i - 1] == "\\" for i, c in enumerate(unescaped)
                   if c == special and i > 0) and not unescaped.startswith(special)
