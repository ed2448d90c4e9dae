"""The AI integration's settings: any OpenAI-compatible chat-completions endpoint."""

from dataclasses import dataclass

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class AiSettings:
    base_url: str | None = None  # VIGILO_AI_BASE_URL, e.g. https://api.openai.com/v1
    api_key: str | None = None  # VIGILO_AI_API_KEY (a local server may need none)
    model: str | None = None  # VIGILO_AI_MODEL
    timeout: float = DEFAULT_TIMEOUT  # VIGILO_AI_TIMEOUT, seconds for one answer

    @property
    def why_off(self) -> str | None:
        if not self.base_url:
            return "not configured (VIGILO_AI_BASE_URL unset): drafts come from the record"
        if not self.model:
            return "not configured (VIGILO_AI_MODEL unset): drafts come from the record"
        return None

    @property
    def enabled(self) -> bool:
        return self.why_off is None
