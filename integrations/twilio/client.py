"""The real `twilio` client pointed at TWILIO_API_URL, failing fast for the outbox."""

import os
from datetime import datetime
from typing import Any

from requests import Session
from requests.exceptions import RequestException
from requests.utils import get_environ_proxies
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from integrations.twilio.errors import TwilioUnavailable, translate
from integrations.twilio.settings import TwilioSettings

TIMEOUT = 10.0


class Twilio:
    def __init__(self, settings: TwilioSettings) -> None:
        self.settings = settings
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:  # built on first use: no I/O while the app is assembled
            http = TwilioHttpClient(timeout=TIMEOUT)
            if http.session is not None:
                settled(http.session, self.settings.api_url)
            client = Client(self.settings.account_sid, self.settings.auth_token,
                            http_client=http)
            client.api.base_url = self.settings.api_url  # TWILIO_API_URL (tests, sandbox)
            self._client = client
        return self._client

    def send(self, to: str, body: str) -> tuple[str, str]:
        """(sid, status) of the accepted message."""
        try:
            message = self.client.messages.create(
                to=to, from_=self.settings.from_number, body=body,
                status_callback=self.settings.status_callback)
        except (TwilioException, RequestException, OSError, ValueError) as error:
            raise _translated(error) from None
        return str(message.sid), str(message.status)

    def find(self, to: str, marker: str, since: datetime) -> tuple[str, str] | None:
        """An SMS to `to` carrying `marker`, sent since `since`: a send whose answer was lost."""
        try:
            found: list[Any] = self.client.messages.list(to=to, date_sent_after=since,
                                                          limit=50)
        except (TwilioException, RequestException, OSError, ValueError) as error:
            raise _translated(error) from None
        for message in found:
            if marker in str(message.body or ""):
                return str(message.sid), str(message.status)
        return None


def settled(session: Session, url: str) -> None:
    """What `requests` reads from the environment, read once for `url`'s host: proxies
    (HTTPS_PROXY, NO_PROXY) and the CA bundle (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE). With
    trust_env on, it scanned the whole environment twice on every call (a fifth of a send's
    time under cProfile); the one host never changes while we run."""
    session.proxies = get_environ_proxies(url)
    session.verify = (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                      or True)
    session.trust_env = False


def _translated(error: Exception) -> Exception:
    if isinstance(error, ValueError):  # a 2xx that is not JSON: it may have been sent
        return TwilioUnavailable(f"Twilio's answer was not JSON: {error}"[:500])
    if isinstance(error, RequestException):
        return TwilioUnavailable(f"Twilio unreachable: {type(error).__name__}")
    return translate(error)
