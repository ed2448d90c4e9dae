"""When an overdue action item's owner is reminded: the day after it was due, then on the
third and seventh day, then weekly. Each reminder's key names its day, so a job running
twice, or on two replicas, reminds once."""

from datetime import date


def days_overdue(due_on: date | None, today: date) -> int:
    return (today - due_on).days if due_on is not None and today > due_on else 0


def reminder_due(days: int) -> bool:
    return days in (1, 3, 7) or (days > 7 and days % 7 == 0)
