"""PagerDuty, both ways: incidents mirrored out through REST API v2, webhooks v3 in."""
