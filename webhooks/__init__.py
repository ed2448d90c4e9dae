"""The Starlette side app: pages, JSON API, PagerDuty webhooks, health."""
