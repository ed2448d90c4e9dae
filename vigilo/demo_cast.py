"""Who takes part in `vigilo demo`, and what they say."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.permissions import Role

# The sandbox Slack's credentials: not secrets, printed for a `vigilo serve` of one's own.
BOT_TOKEN = "xoxb-demo-sandbox-not-a-real-token"
SIGNING_SECRET = "demo-signing-secret-not-a-real-one"
TITLE = "Checkout is down for EU customers"
ROOT_CAUSE = "Bad deploy of cart-svc rolled back"


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    real_name: str
    role: Role


DANA = Person("U0DANA", "dana", "Dana (on-call)", Role.ENGINEER)
SAM = Person("U0SAM", "sam", "Sam (payments)", Role.ENGINEER)
PRIYA = Person("U0PRIYA", "priya", "Priya (SRE lead)", Role.ADMIN)
CHATTER = [
    (SAM, "Payments dashboards show ~40% of EU checkouts failing with 502s from cart-svc."),
    (PRIYA, "cart-svc v2.31 went out five minutes before the errors started. Rolling it back."),
    (DANA, "Rollback finished; EU checkout errors are back under 1%. Watching for 10 min."),
]


@dataclass(frozen=True)
class Step:
    """One beat of the replay, `minutes` of simulated time after the one before.

    `kind` is "command" (a /vigilo slash command), "message" (said in a channel), "paged"
    (the SMS and PagerDuty page went out), "pagerduty_ack" (acknowledged on PagerDuty, which
    tells Vigilo by webhook) or "status_page" (show the public page); `where`
    is "general" or "incident" (the incident's own channel); `expect` names what must be true
    before the next step (see Demo.expectation): "declared", "status:<status>",
    "severity:<p1-p4>", "responder:<user id>", "message". New steps (another integration in
    the story) are new rows here, and a new expectation kind when none of these fits.
    """

    minutes: float
    person: Person
    kind: str
    text: str
    where: str
    expect: str


STORY = [
    Step(0, DANA, "command", f"new p1 {TITLE}", "general", "declared"),
    Step(0, DANA, "paged", "", "incident", ""),
    # Dana acknowledges the page on PagerDuty: that is what starts the investigation.
    Step(2, DANA, "pagerduty_ack", "acknowledges the page", "incident",
         "status:investigating"),
    Step(0, DANA, "status_page", "", "incident", ""),
    Step(1, DANA, "command", f"add <@{SAM.user_id}|{SAM.name}>", "incident",
         f"responder:{SAM.user_id}"),
    Step(1, DANA, "command", f"add <@{PRIYA.user_id}|{PRIYA.name}>", "incident",
         f"responder:{PRIYA.user_id}"),
    Step(4, CHATTER[0][0], "message", CHATTER[0][1], "incident", "message"),
    Step(6, CHATTER[1][0], "message", CHATTER[1][1], "incident", "message"),
    Step(2, PRIYA, "command", "severity p2", "incident", "severity:p2"),
    Step(12, CHATTER[2][0], "message", CHATTER[2][1], "incident", "message"),
    Step(2, DANA, "command", "mitigate", "incident", "status:mitigated"),
    Step(10, DANA, "command", f"resolve {ROOT_CAUSE}", "incident", "status:resolved"),
]
STORY_MINUTES = sum(step.minutes for step in STORY)  # 40: the incident as it would have lasted


class ReplayClock:
    """The replay's time: it starts `span` ago, jumps forward by each step's minutes and runs
    at real speed in between, so the last step lands on the real now."""

    def __init__(self, span: timedelta) -> None:
        self.offset = -span

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, minutes: float) -> None:
        self.offset = min(timedelta(0), self.offset + timedelta(minutes=minutes))
