"""Slack clients that keep their connections open between calls.

slack_sdk's WebClient and WebhookClient send each call through `urllib.request.urlopen`,
which opens a new connection (and, against slack.com, a new TLS session) for every call and
closes it after the answer. A new incident's channel costs five calls in a row, and every
slash command's reply and its follow-up go to a response_url on one host: in a burst that
was a connection set up and torn down per call on both sides. Here each thread keeps one
HTTP/1.1 connection per host, made with the same `http.client` urllib uses, and answers
exactly as urllib would (HTTPError for a non-2xx, URLError when no connection can be made),
so slack_sdk's retry handlers and our error mapping see what they always saw.
"""

import http.client
import io
import select
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient, WebhookResponse

Connection = http.client.HTTPConnection
# What a kept connection that the server closed while it sat idle fails with, before any
# answer came: sending again on a new connection is safe.
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str | bytes


class Kept:
    """Each thread's open connection to each host, shared by every client given it."""

    def __init__(self, timeout: float = 30.0, tls: ssl.SSLContext | None = None) -> None:
        self.timeout = timeout
        self._tls = tls
        self._local = threading.local()

    def post(self, url: str, req: Request) -> Answer:
        """`req` POSTed to `url` on this thread's connection to its host, as urlopen would."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        key = (parts.scheme, parts.netloc)
        try:
            response = self._send(key, path, req.data, dict(req.header_items()))
            data = response.read()
        except BaseException:
            self._drop(key)  # in whatever state the failure left it
            raise
        if response.will_close:
            self._drop(key)
        if not 200 <= response.status < 300:
            raise HTTPError(url, response.status, response.reason, response.msg,
                            io.BytesIO(data))
        charset = response.msg.get_content_charset() or "utf-8"
        body: str | bytes = (data if response.msg.get_content_type() == "application/gzip"
                             else data.decode(charset))
        return Answer(response.status, response.msg, body)

    def _send(self, key: tuple[str, str], path: str, data: Any,
              headers: dict[str, str]) -> http.client.HTTPResponse:
        reused, connection = self._connection(key)
        try:
            return self._exchange(connection, path, data, headers)
        except STALE:
            if not reused:
                raise
            # The server closed the kept connection as the request went out (an idle
            # timeout), before answering anything: the request is sent again, once.
            self._drop(key)
            return self._exchange(self._connection(key)[1], path, data, headers)

    def _exchange(self, connection: Connection, path: str, data: Any,
                  headers: dict[str, str]) -> http.client.HTTPResponse:
        try:
            if connection.sock is None:
                connection.connect()
                # A request goes out in more than one write (headers, then a body that is
                # not bytes): without this each later write waits for the ACK of the first.
                if connection.sock is not None:
                    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as error:  # as urllib says it: no connection could be made
            raise URLError(error) from error
        connection.request("POST", path, body=data, headers=headers)
        return connection.getresponse()

    def _connection(self, key: tuple[str, str]) -> tuple[bool, Connection]:
        """(whether it was used before, this thread's connection to the host)."""
        kept: dict[tuple[str, str], Connection] = self._local.__dict__.setdefault("kept", {})
        connection = kept.get(key)
        if connection is not None and _closed_by_peer(connection):
            self._drop(key)
            connection = None
        if connection is not None:
            return True, connection
        scheme, netloc = key
        if scheme == "https":
            connection = http.client.HTTPSConnection(netloc, timeout=self.timeout,
                                                     context=self._default_tls())
        else:
            connection = http.client.HTTPConnection(netloc, timeout=self.timeout)
        kept[key] = connection
        return False, connection

    def _drop(self, key: tuple[str, str]) -> None:
        connection = self._local.__dict__.get("kept", {}).pop(key, None)
        if connection is not None:
            connection.close()

    def _default_tls(self) -> ssl.SSLContext:
        # One context for every connection (urllib builds one per call): loading the CA
        # bundle is most of the cost of a TLS handshake on the client's side.
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls


def _kept_here(url: str, proxy: object) -> bool:
    return proxy is None and urlsplit(url).scheme in ("http", "https")


class KeepAliveWebClient(WebClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kept = Kept(self.timeout, self.ssl)

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if not _kept_here(url, self.proxy):
            return super()._perform_urllib_http_request_internal(url, req)
        answer = self.kept.post(url, req)
        return {"status": answer.status, "headers": answer.headers, "body": answer.body}


class KeepAliveWebhookClient(WebhookClient):
    """A WebhookClient (a response_url, an incoming webhook) on `kept`'s connections."""

    def __init__(self, url: str, kept: Kept, **kwargs: Any) -> None:
        super().__init__(url, timeout=int(kept.timeout) or 1, **kwargs)
        self.kept = kept

    def _perform_http_request_internal(self, url: str, req: Request) -> WebhookResponse:
        if not _kept_here(url, self.proxy):
            return super()._perform_http_request_internal(url, req)
        answer = self.kept.post(url, req)
        body = answer.body if isinstance(answer.body, str) else answer.body.decode("utf-8")
        return WebhookResponse(url=url, status_code=answer.status, body=body,
                               headers=answer.headers)  # type: ignore[arg-type]


def _closed_by_peer(connection: Connection) -> bool:
    """An idle kept connection that is readable has been closed (or spoken on out of turn)
    by the server: it is not used again."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)
