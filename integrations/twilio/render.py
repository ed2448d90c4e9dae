"""An SMS page: severity, key, title and the incident's link, in one segment where possible."""

from core.sms import fit
from services.paging import PageFacts


def page_text(facts: PageFacts, base_url: str, marker: str) -> str:
    link = f"{base_url}/ws/{facts.workspace_slug}/incidents/{facts.key}"
    # The marker lets a retry find this very SMS when Twilio's answer to it was lost.
    return fit(f"{facts.severity.value.upper()} {facts.key}", " ".join(facts.title.split()),
               f"{link} #{marker}")
