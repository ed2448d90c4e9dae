"""Names of the side effects services record in the outbox, and of the timeline labels."""

SLACK_CREATE_CHANNEL = "slack.create_channel"  # the channel and its situation report
# Then its topic, the report pinned and the people invited: a delivery of its own, after the
# creation in the same lane, so that in a burst every channel and report goes up first.
SLACK_SETUP_CHANNEL = "slack.setup_channel"
SLACK_ANNOUNCE = "slack.announce"  # post a message about a change in the incident channel
SLACK_INVITE = "slack.invite"
SLACK_ARCHIVE = "slack.archive"
SLACK_NUDGE = "slack.nudge"  # a reminder in the incident channel, with buttons
SLACK_REMIND_OWNER = "slack.remind_owner"  # a direct message about an overdue action item
# The announcements channel (setting announce_channel): an incident's one message, kept
# current, and the posts about storms and published postmortems.
SLACK_BROADCAST = "slack.broadcast"
# Resolved with an archive_delay: a heads-up in the channel, and the archive planned.
SLACK_ARCHIVE_LATER = "slack.archive_later"
SLACK_REFRESH_REPORT = "slack.refresh_report"  # redraw the pinned situation report
PAGERDUTY_TRIGGER = "pagerduty.trigger"
PAGERDUTY_ACKNOWLEDGE = "pagerduty.acknowledge"
PAGERDUTY_RESOLVE = "pagerduty.resolve"
PAGERDUTY_URGENCY = "pagerduty.urgency"  # keep urgency and priority in step with severity
PAGERDUTY_NOTE = "pagerduty.note"  # a person's timeline note, added to PagerDuty's incident
TWILIO_PAGE = "twilio.page_oncall"
STATUSPAGE_PUBLISH = "statuspage.publish"
STATUSPAGE_RESOLVE = "statuspage.resolve"
STATUSPAGE_UPDATE = "statuspage.update"  # a status change, in the page's fixed wording
STATUSPAGE_WITHDRAW = "statuspage.withdraw"  # no longer meets the rules: off the page
AI_DRAFT_POSTMORTEM = "ai.draft_postmortem"  # ask the configured model for a first draft

# Every kind above: start-up checks that each has exactly one handler or a reason it is off.
KINDS = frozenset({SLACK_CREATE_CHANNEL, SLACK_SETUP_CHANNEL, SLACK_ANNOUNCE, SLACK_INVITE,
                   SLACK_ARCHIVE, SLACK_NUDGE, SLACK_REMIND_OWNER, SLACK_BROADCAST,
                   SLACK_ARCHIVE_LATER, PAGERDUTY_TRIGGER, PAGERDUTY_ACKNOWLEDGE, PAGERDUTY_RESOLVE,
                   PAGERDUTY_URGENCY, PAGERDUTY_NOTE, TWILIO_PAGE, STATUSPAGE_PUBLISH,
                   STATUSPAGE_RESOLVE, STATUSPAGE_UPDATE, STATUSPAGE_WITHDRAW,
                   AI_DRAFT_POSTMORTEM, SLACK_REFRESH_REPORT})


def integration_of(kind: str) -> str:
    return kind.split(".", 1)[0]


# Integrations that wake people. While their deliveries run, those of BEHIND_PAGING wait
# (integrations.lanes, a second at most): the on-call paged a second sooner matters more
# than the public status page or an AI draft a second sooner. Slack stays beside paging:
# the responders work in it.
PAGING = frozenset({"pagerduty", "twilio"})
BEHIND_PAGING = frozenset({"statuspage", "ai"})
# Kinds that wait while people's commands are being carried out (integrations.holds, a
# second at most): in a burst of declarations, every incident is recorded and its channel and
# report are up before any channel's topic, pin and invitations.
AFTER_COMMANDS = frozenset({SLACK_SETUP_CHANNEL})
# Among the lane heads that are due, these are claimed after all others, in this order
# (oldest first within each): when the held setups are let go, a channel still to be made
# goes before them.
CLAIMED_LATER = (SLACK_SETUP_CHANNEL,)


class Label:
    CREATED = "created"
    STATUS = "status_changed"
    FORCED = "status_forced"
    SEVERITY = "severity_changed"
    COMMANDER = "commander_changed"
    RESPONDER_ADDED = "responder_added"
    RESPONDER_REMOVED = "responder_removed"
    RESPONDER_ROLE = "responder_role_changed"
    ROOT_CAUSE = "root_cause_set"
    ACTION_ADDED = "action_item_added"
    ACTION_DONE = "action_item_completed"
    ACTION_REOPENED = "action_item_reopened"
    ACTION_ASSIGNED = "action_item_assigned"
    FIELDS = "fields_edited"
    POSTMORTEM = "postmortem_opened"
    POSTMORTEM_UNLINKED = "postmortem_unlinked"
    POSTMORTEM_STATUS = "postmortem_status_changed"
    POSTMORTEM_DRAFT = "postmortem_draft_requested"
    NOTE = "note"
    UPDATE = "status_update"  # a status update (the Post update modal, `/vigilo update`)
    MESSAGE = "message"
    # Written by the Slack integration; the pages read them (is the channel archived now?).
    CHANNEL_CREATED = "channel_created"
    CHANNEL_ARCHIVED = "channel_archived"
    CHANNEL_UNARCHIVED = "channel_unarchived"


# What people wrote (a channel message, /vigilo log), as opposed to what Vigilo recorded.
SPOKEN_LABELS = frozenset({Label.NOTE, Label.MESSAGE, Label.UPDATE})
