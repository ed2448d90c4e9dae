"""Adapters to Slack, PagerDuty, Twilio and the status page, driven by the outbox worker."""
