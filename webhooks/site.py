"""Routes of the web side app: incident pages, share links, sign-in, JSON API."""

from starlette.routing import BaseRoute

from store.db import Database


def routes(db: Database, base_url: str) -> list[BaseRoute]:
    return []
