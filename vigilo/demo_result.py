"""What `vigilo demo` checks after the replay, and the links it prints while it serves."""

import os
from typing import TYPE_CHECKING

from core.keys import format_key
from core.permissions import Role
from services import access, queries, workspaces
from services.actor import Actor
from vigilo.demo_cast import BOT_TOKEN, DANA, PRIYA, SAM, SIGNING_SECRET

if TYPE_CHECKING:
    from vigilo.demo import Demo


def report(demo: "Demo", channel: str) -> int:
    """The checks after the replay, printed, and `vigilo incident show`."""
    assert demo.vigilo is not None
    db, say = demo.vigilo.db, demo.narrator.say
    incident = demo._incident()
    key = format_key(1)
    messages = [e for e in demo._timeline() if e.label == "message"]
    slack_channel = demo.fake.channels.get(channel)
    checks = [
        ("the incident is resolved", bool(incident and incident.status == "resolved")),
        ("the root cause is recorded", bool(incident and incident.root_cause)),
        ("the channel is archived", bool(slack_channel and slack_channel.archived)),
        ("the three messages are on the timeline", len(messages) >= 3),
        ("the situation report is pinned", bool(demo.fake.pins(channel))),
        ("Sam and Priya were invited to the channel", {SAM.user_id, PRIYA.user_id}
         <= set(slack_channel.members if slack_channel else [])),
        ("#incidents holds one card for INC-0001, now resolved", _announced(demo)),
        *demo.paging.checks(demo),
    ]
    say("\nResult:")
    for label, ok in checks:
        say(f"    {'✓' if ok else '✗'} {label}")
    demo.problems += [label for label, ok in checks if not ok]
    if incident is None:
        return 1
    demo.narrator.show(queries.get_detail(db, demo.workspace_id, key))
    return 0 if not demo.problems else 1

def links(demo: "Demo") -> dict[str, str]:
    """Where to look while the demo keeps serving: sign-in, share link, API, and the
    environment for a `vigilo serve` of your own against the sandbox Slack."""
    assert demo.vigilo is not None
    db, key = demo.vigilo.db, format_key(1)
    dana = workspaces.require_member(db, demo.workspace_id, DANA.user_id)
    login = access.create_login_link(
        db, Actor(demo.workspace_id, dana.id, dana.display_name, Role(dana.role), "cli"))
    owner = Actor.operator(demo.workspace_id, "cli")
    _, share = access.create_share_link(db, owner, key)
    _, token = workspaces.create_token(db, demo.workspace_id, f"demo-{share[:6]}")
    page = f"{demo.base_url}/ws/{demo.slug}/incidents/{key}"
    return {
        "sign_in": f"{demo.base_url}/auth/login?token={login}",
        "list": f"{demo.base_url}/ws/{demo.slug}/incidents",
        "share": f"{page}?share={share}",
        "api": f"curl -H 'Authorization: Bearer {token}' -H 'Accept: application/json' "
               f"{page}",
        "serve": " ".join([
            f"DATABASE_URL={demo.db_url}", f"SLACK_API_URL={demo.fake.base_url}",
            f"SLACK_BOT_TOKEN={BOT_TOKEN}", f"SLACK_SIGNING_SECRET={SIGNING_SECRET}",
            *(f"{k}={v}" for k, v in {**demo.paging.pagerduty_env(),
                                      **demo.paging.twilio_env()}.items()),
            f"SSL_CERT_FILE={os.environ.get('SSL_CERT_FILE', '')}",
            "VIGILO_BASE_URL=http://127.0.0.1:8001", "vigilo serve --port 8001"]),
    }


def _announced(demo: "Demo") -> bool:
    cards = demo.fake.messages(demo.announcements)
    return len(cards) == 1 and "Resolved" in cards[0].full_text
