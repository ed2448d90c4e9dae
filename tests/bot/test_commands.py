"""`/vigilo` subcommands through the real ASGI app: signed requests in, ephemeral replies out
through the command's response_url, on SQLite and PostgreSQL."""

import sqlalchemy
from sqlmodel import select

from core.fsm import Status
from core.permissions import Role
from services import access, incidents, queries, workspaces
from services.actor import Actor
from store.models import AuditLog, Incident, Member, TimelineEvent
from tests.bot_harness import Slack, mention, slack_fixture  # noqa: F401

SUBCOMMANDS = ("new", "list", "show", "investigate", "mitigate", "resolve", "reopen",
               "postmortem", "force", "severity", "commander", "add", "remove", "promote",
               "demote", "log", "action", "cause", "share", "web")


def declare(slack: Slack, title: str = "Checkout is down", severity: str = "p2") -> Incident:
    return incidents.declare(slack.db, slack.world.actor(), title=title, severity=severity)


def status(slack: Slack, key: str = "INC-0001") -> str:
    return queries.get_detail(slack.db, slack.world.ws_id, key).incident.status


def events(slack: Slack) -> int:
    with slack.db.read() as session:
        return len(session.exec(select(TimelineEvent.id)).all())


def test_help_lists_the_subcommands_and_usage_errors_show_only_their_own(slack: Slack) -> None:
    for text in ("", "help"):
        reply = slack.reply(text)
        assert all(f"`{name}" in reply for name in SUBCOMMANDS), (text, reply)
    for text, usage in (("new p1", "new [p1|p2|p3|p4] <title>"), ("log", "log [KEY] <text>"),
                        ("severity INC-0001", "severity [KEY] <p1|p2|p3|p4>")):
        reply = slack.reply(text)
        assert f"Usage: `/vigilo {usage}`" in reply, reply
        assert reply.count("\n") <= 1 and "subcommands" not in reply, reply
    unknown = slack.reply("frobnicate now")
    assert unknown.startswith("⚠️ I don't know the subcommand 'frobnicate'")
    assert unknown.endswith("`/vigilo help` lists every subcommand.")
    assert "Did you mean `/vigilo investigate`?" in slack.reply("investgate")
    assert "Which incident?" in slack.reply("investigate")  # outside an incident channel
    with slack.db.read() as session:
        assert session.exec(select(Incident)).all() == []


def test_new_declares_at_once_and_names_the_key(slack: Slack) -> None:
    reply = slack.command("new p1 Checkout is down")[0]
    assert "INC-0001" in reply["text"] and "Checkout is down" in reply["text"]
    assert "http://vigilo.test/ws/acme/incidents/INC-0001" in reply["text"]
    buttons = [e["action_id"] for b in reply["blocks"] if b["type"] == "actions"
               for e in b["elements"]]
    assert buttons == ["inc_investigate", "inc_add_responders"]
    slack.command("new SEV2 Payments slow")
    slack.command("new resolve the p1 issue with INC-0001 show")  # keyword-looking words
    found = {s.key: s.incident for s in queries.list_incidents(slack.db, slack.world.ws_id)}
    assert (found["INC-0001"].severity, found["INC-0001"].title) == ("p1", "Checkout is down")
    assert (found["INC-0002"].severity, found["INC-0002"].title) == ("p2", "Payments slow")
    assert found["INC-0003"].title == "resolve the p1 issue with INC-0001 show"
    assert found["INC-0003"].severity == "p3"
    assert found["INC-0001"].commander_id == slack.world.members[Role.ENGINEER].id


def test_new_links_the_channel_once_the_outbox_has_made_it(slack: Slack) -> None:
    slack.bot.channel_wait = 10.0
    slack.vigilo.worker.poll = 0.02
    slack.vigilo.worker.start()
    try:
        first, *later = slack.command("new p2 Search returns nothing")
    finally:
        slack.vigilo.worker.stop()
    channel = queries.get_detail(slack.db, slack.world.ws_id, 1).incident.slack_channel_id
    # The key at once, then the same reply again with the channel once it exists.
    assert channel and "INC-0001" in first["text"]
    assert "on its way" in first["text"] and first["replace_original"] is False
    assert [r["replace_original"] for r in later] == [True]
    assert f"Channel: <#{channel}>" in later[-1]["text"]


def test_a_channel_that_never_comes_leaves_the_first_reply(slack: Slack) -> None:
    slack.bot.channel_wait = 0.2  # the outbox is not running: no channel will come
    assert "on its way" in slack.reply("new p3 Nobody drains the outbox")
    workspaces.set_setting(slack.db, slack.world.actor(Role.ADMIN), "auto_create_channel", "off")
    assert "opens no channel" in slack.reply("new p3 No channels here")


def test_lifecycle_with_every_accepted_key_form(slack: Slack) -> None:
    declare(slack)
    assert "INC-0001 is now *Investigating*" in slack.reply("investigate INC-0001")
    assert "now *Mitigated*" in slack.reply("mitigate inc-0001")
    assert "Root cause recorded" in slack.reply("INC-1 resolve a bad deploy of the cache")
    assert status(slack) == Status.RESOLVED
    assert queries.get_detail(slack.db, slack.world.ws_id, 1).incident.root_cause == (
        "a bad deploy of the cache")
    slack.reply("reopen INC1")
    assert status(slack) == Status.INVESTIGATING
    slack.reply("resolve inc_0001")
    assert "now *Post-mortem*" in slack.reply("postmortem INC-0001")
    refused = slack.reply("mitigate INC-0001")
    assert "Cannot mitigate: the incident is post_mortem" in refused
    assert "takes no text" in slack.reply("investigate INC-0001 right now please")
    assert status(slack) == Status.POST_MORTEM
    assert "*Status:* Post-mortem" in slack.reply("INC-0001")  # a key alone shows it


def test_inside_an_incident_channel_the_incident_is_implied(slack: Slack) -> None:
    declare(slack)
    declare(slack, "Another one")
    slack.drain()
    channel = queries.get_detail(slack.db, slack.world.ws_id, 1).incident.slack_channel_id
    assert channel
    assert "INC-0001 is now *Investigating*" in slack.reply("investigate", channel=channel)
    assert "INC-0002 is now *Investigating*" in slack.reply("investigate INC-0002",
                                                           channel=channel)
    slack.reply("log rolled back INC-0002's deploy too", channel=channel)
    notes = [e.text for e in queries.get_detail(slack.db, slack.world.ws_id, 1).timeline
             if e.label == "note"]
    assert notes == ["rolled back INC-0002's deploy too"]
    assert "Which incident?" in slack.reply("investigate", channel="CGENERAL")


def test_unknown_keys_other_workspaces_and_unknown_people(slack: Slack) -> None:
    declare(slack)
    globex = workspaces.create_workspace(slack.db, "globex", "Globex")
    boss = workspaces.add_member(slack.db, globex.id or 0, "UGLOBEX", "Boss", Role.OWNER)
    for n in range(3):
        incidents.declare(slack.db, Actor(globex.id or 0, boss.id, "Boss", Role.OWNER),
                          title=f"Globex {n}")
    assert "No incident INC-0042 in this workspace." in slack.reply("show INC-0042")
    assert "No incident INC-0003 in this workspace." in slack.reply("resolve INC-0003")
    assert "Slack knows no user U404NOPE" in slack.reply(f"add INC-1 {mention('U404NOPE')}")
    assert "@-mention" in slack.reply("add INC-1 bob")
    assert "'INC-0' is not an incident key" in slack.reply("show INC-0")
    assert queries.get_detail(slack.db, globex.id or 0, 3).incident.status == "open"


def test_first_contact_creates_the_member_from_slack(slack: Slack) -> None:
    slack.fake.add_user("UNEWADMIN", "nia", "Nia Admin", is_admin=True)
    slack.fake.add_user("UNEWOWNER", "oli", "Oli Owner", is_owner=True)
    slack.fake.add_user("UNEWBIE", "nobody", "New Body")
    slack.reply("list", user="UNEWADMIN")
    slack.reply("list", user="UNEWOWNER")
    slack.reply("list", user="UNEWBIE")
    roles = {m.slack_user_id: (m.display_name, m.role)
             for m in workspaces.list_members(slack.db, slack.world.ws_id)}
    assert roles["UNEWADMIN"] == ("Nia Admin", "admin")
    assert roles["UNEWOWNER"] == ("Oli Owner", "owner")
    assert roles["UNEWBIE"] == ("New Body", "engineer")
    workspaces.set_setting(slack.db, slack.world.actor(Role.ADMIN), "default_role", "viewer")
    slack.fake.add_user("UWATCHER", "wat", "Wat Cher")
    assert "🔒" in slack.reply("new p1 I should not be able to", user="UWATCHER")
    watcher = workspaces.find_member(slack.db, slack.world.ws_id, "UWATCHER")
    assert watcher is not None and watcher.role == "viewer"
    assert len(slack.fake.calls_to("users.info")) == 4  # once per person, never again
    slack.reply("list", user="UNEWBIE")
    assert len(slack.fake.calls_to("users.info")) == 4


def test_a_viewer_cannot_change_anything(slack: Slack) -> None:
    declare(slack)
    before = events(slack)
    for text in ("investigate INC-1", "log INC-1 hello", "severity INC-1 p1",
                 f"add INC-1 {mention(slack.uid(Role.ADMIN))}", "cause INC-1 dns",
                 "new p1 Viewer declares", "share INC-1"):
        reply = slack.reply(text, role=Role.VIEWER)
        assert reply.startswith("🔒") and "viewer" in reply, (text, reply)
    assert status(slack) == "open" and events(slack) == before
    assert "Post-mortem" not in slack.reply("show INC-1", role=Role.VIEWER)


def test_responder_subcommands(slack: Slack) -> None:
    declare(slack)
    eng0, eng1 = (m.slack_user_id for m in slack.world.members_extra[:2])
    assert "as responder" in slack.reply(f"add INC-1 {mention(eng0)}")
    assert "as observer" in slack.reply(f"add INC-1 {mention(eng1)} observer")
    assert "already on this incident" in slack.reply(f"add INC-1 {mention(eng1)}")
    assert "Unknown responder role 'boss'" in slack.reply(f"add INC-1 {mention(eng0)} boss")
    assert "one person at a time" in slack.reply(f"add INC-1 {mention(eng0)} a b")
    assert "now commands INC-0001" in slack.reply(f"promote INC-1 {mention(eng0)}")
    assert "now commands INC-0001" in slack.reply(f"commander INC-1 {mention(eng1)}",
                                                  role=Role.ADMIN)
    assert "is now an observer" in slack.reply(f"demote INC-1 {mention(eng0)}",
                                               user=eng1)
    assert "Removed" in slack.reply(f"remove INC-1 {mention(eng0)}", role=Role.ADMIN)
    assert "@-mention" in slack.reply("remove INC-1", role=Role.ADMIN)
    assert "is the commander" in slack.reply(f"remove INC-1 {mention(eng1)}", role=Role.ADMIN)
    roles = {r.slack_user_id: r.role
             for r in queries.get_detail(slack.db, slack.world.ws_id, 1).responders}
    assert roles == {slack.uid(): "responder", eng1: "commander"}


def test_severity_cause_force_log_and_action(slack: Slack) -> None:
    declare(slack)
    assert "P1 critical" in slack.reply("severity INC-1 P1")
    assert "Unknown severity 'urgent'" in slack.reply("severity INC-1 urgent")
    assert "Give one severity" in slack.reply("severity INC-1 p1 p2")
    assert "Root cause of INC-0001 recorded" in slack.reply("rootcause INC-1 expired cert")
    assert "Say what the root cause is" in slack.reply("cause INC-1")
    assert "🔒" in slack.reply("force INC-1 resolved because")
    assert "needs a reason" in slack.reply("force INC-1 resolved", role=Role.ADMIN)
    assert "Unknown status 'done'" in slack.reply("force INC-1 done now", role=Role.ADMIN)
    assert "forced to *Resolved*" in slack.reply("force INC-1 resolved dup of INC-7",
                                                  role=Role.ADMIN)
    assert "Logged" in slack.reply("log INC-1 paged the DBA")
    eng0 = slack.world.members_extra[0]
    assert "for <@UENG0>" in slack.reply(f"action INC-1 rotate the cert {mention('UENG0')}")
    assert "Say what needs doing" in slack.reply(f"action INC-1 {mention('UENG0')}")
    detail = queries.get_detail(slack.db, slack.world.ws_id, 1)
    assert (detail.incident.severity, detail.incident.status, detail.incident.root_cause) == (
        "p1", "resolved", "expired cert")
    assert [(a.text, a.owner_id) for a in detail.action_items] == [("rotate the cert",
                                                                     eng0.id)]
    with slack.db.read() as session:
        forced = session.exec(select(AuditLog).where(AuditLog.action == "incident.forced")).one()
    assert forced.detail["reason"] == "dup of INC-7"


def test_list_and_show(slack: Slack) -> None:
    assert "none" in slack.reply("list")
    declare(slack, "Checkout is down", "p1")
    declare(slack, "Old thing", "p4")
    incidents.force_status(slack.db, slack.world.actor(Role.ADMIN), 2, Status.RESOLVED, "old")
    open_list = slack.reply("list")
    assert "INC-0001" in open_list and "INC-0002" not in open_list
    assert "INC-0002" in slack.reply("list all")
    assert "none" in slack.reply("list mine", role=Role.ADMIN)
    assert "INC-0001" in slack.reply("list mine")
    shown = slack.command("show INC-0001")[0]
    assert "Checkout is down" in shown["text"] and "*Commander:* Engineer" in shown["text"]
    assert any(b["type"] == "actions" for b in shown["blocks"])
    assert "takes only a key" in slack.reply("show INC-1 extra")


def test_share_and_web_links(slack: Slack) -> None:
    declare(slack)
    reply = slack.reply("share INC-1")
    url = reply.split("\n")[-1]
    assert url.startswith("http://vigilo.test/ws/acme/incidents/INC-0001?share=")
    token = url.split("share=")[1]
    assert access.incident_for_share_token(slack.db, slack.world.ws_id, token).number == 1
    assert "Revoked 1 share link to INC-0001" in slack.reply("share revoke INC-1")
    assert "Revoked 0 share links" in slack.reply("share INC-1 revoke")
    assert "`share revoke`" in slack.reply("share INC-1 with everyone")
    login = slack.reply("web").split("\n")[-1]
    assert login.startswith("http://vigilo.test/auth/login?token=")
    signed_in = access.redeem_login_link(slack.db, login.split("token=")[1])
    assert signed_in.member.slack_user_id == slack.uid()


def test_whatever_people_type_is_kept_and_shown_safely(slack: Slack) -> None:
    long_text = ("x" * 3990) + " 🔥 end"
    reply = slack.reply("new p2 <!channel> 🔥 \"quoted\" &amp; *bold* &lt;script&gt; "
                        "<https://status.example.com|status page> :fire:")
    assert "<!channel>" not in reply and "<script>" not in reply
    title = queries.get_detail(slack.db, slack.world.ws_id, 1).incident.title
    assert title == ('@channel 🔥 "quoted" & *bold* <script> status page '
                     '(https://status.example.com) :fire:')
    slack.reply(f"log INC-1 {long_text}")
    notes = [e.text for e in queries.get_detail(slack.db, slack.world.ws_id, 1).timeline
             if e.label == "note"]
    assert notes == [long_text]
    too_long = slack.reply("new " + "y" * 4000)
    assert "The title is 4000 characters; the limit is 200" in too_long
    assert len(queries.list_incidents(slack.db, slack.world.ws_id)) == 1
    with slack.db.read() as session:
        members = session.exec(select(Member)).all()
    assert len(members) == 7  # nobody was created by any of this


def test_replies_reuse_a_kept_connection_to_the_response_urls_host(slack: Slack) -> None:
    before = slack.fake.connections
    for _ in range(6):
        assert "subcommands" in slack.reply("help")
    # Bolt's respond() made a connection per reply; the reply threads keep theirs open.
    assert slack.fake.connections - before <= 2


def test_a_declaration_whose_reply_cannot_be_built_still_says_it_was_done(slack: Slack) -> None:
    # The reply is built after the declaration commits (off the job threads); a database
    # that refuses the reply's reads must not make the person think nothing happened.
    with slack.db.engine.begin() as connection:
        connection.execute(sqlalchemy.text("DROP TABLE runbookterm"))
    reply = slack.reply("new p2 Checkout is down")
    assert reply.startswith("✅ Done, but Vigilo could not put this reply together"), reply
    assert [s.key for s in queries.list_incidents(slack.db, slack.world.ws_id)] == ["INC-0001"]
