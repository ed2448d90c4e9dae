"""Who takes part in `vigilo demo`, and what they say."""

from dataclasses import dataclass

from core.permissions import Role

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
    (PRIYA, "cart-svc v2.31 went out at 09:12, right before the errors. Rolling it back."),
    (DANA, "Rollback finished; EU checkout errors are back under 1%. Watching for 10 min."),
]
