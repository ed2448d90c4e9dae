"""The outbox handler: ask the model for a first draft and keep it as a suggestion.

Whatever goes wrong (a timeout, a 5xx, a refused key, an empty or malformed answer) leaves
the draft from the record in place and a note on the sections saying what happened, so the
people writing the postmortem are never left waiting or guessing.
"""

import logging

import openai

from integrations.ai import prompt
from integrations.ai.settings import AiSettings
from integrations.outbox import Effect, PermanentFailure
from services import postmortems
from store.db import Database

log = logging.getLogger(__name__)


class Drafter:
    def __init__(self, settings: AiSettings, db: Database, client: openai.OpenAI) -> None:
        self.settings = settings
        self.db = db
        self.client = client

    def draft(self, effect: Effect) -> str:
        incident_id = effect.incident_id or int(effect.payload.get("incident_id") or 0)
        facts = postmortems.facts_for(self.db, incident_id)
        if facts is None:
            return "no open postmortem to draft any more"
        source = f"ai:{self.settings.model}"
        try:
            answer = self.client.chat.completions.create(
                model=self.settings.model or "", messages=prompt.messages(facts),  # type: ignore[arg-type]
                temperature=0.2)
            content = answer.choices[0].message.content if answer.choices else None
            drafts = prompt.parse(content)
        except Exception as error:  # every failure leaves the record's draft and says why
            why = self.explain(error)
            postmortems.note_ai(self.db, incident_id, f"The AI draft failed: {why}. The "
                                "draft below is from the incident's record.")
            raise PermanentFailure(f"AI draft of {facts.key}: {why}") from None
        changed = postmortems.store_ai_draft(self.db, incident_id, drafts, source)
        return f"AI draft of {facts.key} by {self.settings.model}: {changed} section(s)"

    def explain(self, error: Exception) -> str:
        where = self.settings.base_url
        if isinstance(error, prompt.BadAnswer):
            return str(error)
        if isinstance(error, openai.APITimeoutError):
            return f"the model did not answer within {self.settings.timeout:g} s"
        if isinstance(error, openai.AuthenticationError):
            return f"{where} refused the API key (check VIGILO_AI_API_KEY)"
        if isinstance(error, openai.NotFoundError):
            return f"{where} does not know the model '{self.settings.model}' (VIGILO_AI_MODEL)"
        if isinstance(error, openai.APIStatusError):
            return f"{where} answered HTTP {error.status_code}"
        if isinstance(error, openai.APIConnectionError):
            return f"could not reach {where}"
        log.exception("unexpected failure of an AI draft")
        return f"unexpected error ({type(error).__name__})"
