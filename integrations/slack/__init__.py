"""Slack: the Web API client, its error mapping, the outbox's delivery handlers, and how an
incident reads in a channel (blocks)."""
