"""AI: first drafts of postmortems from any OpenAI-compatible chat-completions endpoint,
through the real `openai` client (`build` makes it; no network I/O until a draft is asked)."""

import openai

from core import effects as fx
from integrations.ai.drafting import Drafter
from integrations.ai.settings import AiSettings
from integrations.outbox import Handler
from store.db import Database

KINDS = frozenset({fx.AI_DRAFT_POSTMORTEM})


class Ai:
    name = "ai"
    kinds = KINDS

    def __init__(self, settings: AiSettings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.client: openai.OpenAI | None = None
        if settings.enabled:
            # One try per draft: a slow model is reported, not retried behind people's backs.
            self.client = openai.OpenAI(base_url=settings.base_url,
                                        api_key=settings.api_key or "unused",
                                        timeout=settings.timeout, max_retries=0)

    def handlers(self) -> dict[str, Handler]:
        if self.client is None:
            return {}
        return {fx.AI_DRAFT_POSTMORTEM: Drafter(self.settings, self.db, self.client).draft}

    def start(self) -> None:
        return None

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()


def build(settings: AiSettings, db: Database) -> Ai:
    return Ai(settings, db)


__all__ = ["Ai", "AiSettings", "build"]
