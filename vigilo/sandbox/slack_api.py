"""FakeSlack: the sandbox's Slack Web API, served over HTTP on loopback.

The real `slack_sdk.WebClient` (and Bolt's `respond()`) talk to it over real HTTP, so request
encoding, retry handlers and error handling run exactly as they would against Slack. Tests
and the demo read what "Slack" received through the accessors, and inject rate limits,
latency and outages. Nothing listens until `start()`.
"""

from __future__ import annotations

import copy
import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from vigilo.sandbox.loopback import FakeHandler, KeepAliveHandler, LoopbackServer
from vigilo.sandbox.slack_model import (
    Call,
    Channel,
    Message,
    Params,
    SlackError,
    User,
    bearer_token,
    decode_params,
)
from vigilo.sandbox.slack_state import SlackState

log = logging.getLogger(__name__)

DEFAULT_BOT_TOKEN = "xoxb-sandbox-token"
_API = "/api/"
_RESPONSE = "/response/"

Answer = tuple[int, dict[str, str], Params]
OnCall = Callable[[str, Params], None]


# As a fault's error: the call takes effect, and the 200 that answers it is not JSON (a
# proxy's error page), so the client cannot tell whether it happened.
GARBAGE = "<garbage>"
_GARBAGE_HEADER = "X-Fake-Garbage"


@dataclass(frozen=True)
class _Fault:
    error: str
    status: int
    retry_after: int | None


class FakeSlack(LoopbackServer):
    """A Slack workspace on 127.0.0.1; use as a context manager or call start()/stop()."""

    name = "fake-slack"
    handler = KeepAliveHandler

    def __init__(self, bot_token: str = DEFAULT_BOT_TOKEN, *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.bot_token = bot_token
        self.state = SlackState()
        self.latency = 0.0  # seconds added before every answer
        self.jitter = 0.0  # and up to this many more, at random (latency 0.03 + jitter 0.02)
        # This share of Web API calls fails at random, half as 429 (Retry-After: 1), half as
        # HTTP 500: a Slack having a bad minute, not a Slack that is down.
        self.flaky = 0.0
        self._rng = random.Random(7)
        self.down = False  # every request answers HTTP 503 while set
        self.on_call: OnCall | None = None
        self._address = (host, port)
        self._lock = self.state.lock
        self._changed = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._lost: list[tuple[str, str | None]] = []  # (method, channel): answers to lose
        self._responses: dict[str, list[Params]] = {}
        # Set to a FakeSocketMode: apps.connections.open hands out its URL.
        self.socket_mode: Any | None = None

    # --- lifecycle -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.origin() + "/"

    @property
    def base_url(self) -> str:
        """What to pass as `WebClient(base_url=...)`."""
        return self.url + _API.lstrip("/")

    def response_url(self, name: str) -> str:
        """A `response_url` for a slash-command or interactivity payload; see responses()."""
        return f"{self.url}{_RESPONSE.lstrip('/')}{quote(name, safe='')}"

    # --- set-up, fault injection, inspection ---------------------------------------------
    def add_user(self, user_id: str, name: str, real_name: str | None = None,
                 is_admin: bool = False, is_owner: bool = False,
                 email: str | None = None, phone: str = "") -> User:
        return copy.deepcopy(self.state.add_user(user_id, name, real_name, is_admin=is_admin,
                                                 is_owner=is_owner, email=email, phone=phone))

    def add_channel(self, name: str, *, is_private: bool = False,
                    members: tuple[str, ...] | list[str] = (), bot_member: bool = True,
                    creator: str = "") -> str:
        """A channel that exists before Vigilo runs (e.g. an announcements channel); with
        `creator` the bot's id, one Vigilo made whose answer never arrived."""
        return self.state.add_channel(name, is_private=is_private, members=members,
                                      bot_member=bot_member, creator=creator)

    def add_message(self, channel: str, user: str, text: str) -> str:
        """A person's message in a channel, for conversations.history; returns its ts."""
        return self.state.add_message(channel, user, text)

    def fail_next(self, method: str, error: str = "ratelimited", *, status: int = 429,
                  retry_after: int | None = 1, times: int = 1) -> None:
        """The next `times` calls of `method` answer `error`; 429s carry `Retry-After`.
        GARBAGE lets the call take effect and answers 200 with a body that is not JSON."""
        with self._lock:
            queue = self._faults.setdefault(method, deque())
            queue.extend(_Fault(error, status, retry_after) for _ in range(times))

    def lose_next_answer(self, method: str, *, channel: str | None = None,
                         times: int = 1) -> None:
        """The next `times` calls of `method` (to `channel`, if given) are carried out, but
        answered HTTP 500 as if the answer were lost on the way back: what a retry must not
        do twice."""
        with self._lock:
            self._lost.extend([(method, channel)] * times)

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until `count` calls of `method` arrived: for work done by background workers."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(found := self.calls_to(method)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(found)}/{count} calls to {method} in {timeout}s")
                self._changed.wait(left)
            return found

    def responses(self, name: str) -> list[Params]:
        with self._lock:
            return copy.deepcopy(self._responses.get(name, []))

    @property
    def channels(self) -> dict[str, Channel]:
        with self._lock:
            return copy.deepcopy(self.state.channels)

    def channel_by_name(self, name: str) -> Channel | None:
        return self.state.channel_by_name(name)

    def _channel_id(self, ref: str) -> str:
        found = None if ref in self.state.channels else self.state.channel_by_name(ref)
        return found.id if found else ref

    def messages(self, channel: str) -> list[Message]:
        """Messages posted to a channel (id or name), oldest first; replies included."""
        with self._lock:
            return copy.deepcopy(self.state.messages.get(self._channel_id(channel), []))

    def ephemerals(self, channel: str) -> list[Message]:
        with self._lock:
            return copy.deepcopy(self.state.ephemerals.get(self._channel_id(channel), []))

    def pins(self, channel: str) -> list[str]:
        """The `ts` of each pinned message, in pinning order."""
        with self._lock:
            return list(self.state.pins.get(self._channel_id(channel), []))

    def home_view(self, user_id: str) -> Params | None:
        with self._lock:
            view_id = self.state.views.homes.get(user_id)
            return copy.deepcopy(self.state.views.views.get(view_id or ""))

    def view(self, view_id: str) -> Params | None:
        with self._lock:
            return copy.deepcopy(self.state.views.views.get(view_id))

    # --- HTTP ----------------------------------------------------------------------------
    def _serve(self, request: FakeHandler) -> None:
        url = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        if url.path.startswith(_API):
            method = url.path[len(_API):]
            status, headers, payload = self._web_api(
                method, url.query, body, request.headers.get("Content-Type") or "",
                request.headers.get("Authorization") or "")
        elif url.path.startswith(_RESPONSE):
            status, headers, payload = self._response(unquote(url.path[len(_RESPONSE):]), body)
        else:
            status, headers, payload = 404, {}, {"ok": False, "error": "not_found"}
        data, ctype = json.dumps(payload).encode("utf-8"), "application/json; charset=utf-8"
        if headers.pop(_GARBAGE_HEADER, None):
            data, ctype = b"<html><body>502 Bad Gateway</body></html>", "text/html"
        try:
            request.send_response(status)
            request.send_header("Content-Type", ctype)
            request.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                request.send_header(key, value)
            request.end_headers()
            request.wfile.write(data)
        except OSError:  # the client gave up (timeout); nothing left to tell it
            log.debug("fake slack: client went away before the answer to %s", url.path)

    def _web_api(self, method: str, query: str, body: bytes, content_type: str,
                 authorization: str) -> Answer:
        try:
            params, parse_error = decode_params(query, body, content_type), ""
        except SlackError as exc:
            params, parse_error = {}, exc.error
        # Tokens are credentials: never kept in the record.
        token = bearer_token(authorization) or str(params.pop("token", "") or "")
        params.pop("token", None)
        if self.down:
            return self._fail(method, params, 503, "service_unavailable")
        self._wait()
        if self.flaky and self._rng.random() < self.flaky:
            if self._rng.random() < 0.5:
                return self._fail(method, params, 429, "ratelimited", {"Retry-After": "1"})
            return self._fail(method, params, 500, "internal_error")
        if parse_error:
            return self._fail(method, params, 200, parse_error)
        if not token:
            return self._fail(method, params, 200, "not_authed")
        if method == "apps.connections.open" and self.socket_mode is not None:
            if token != self.socket_mode.app_token:  # an app-level token, not the bot's
                return self._fail(method, params, 200, "invalid_auth")
            self._record(Call(method, params, time.time()))
            return 200, {}, {"ok": True, "url": self.socket_mode.url}
        if token != self.bot_token:
            return self._fail(method, params, 200, "invalid_auth")
        fault = self._take_fault(method)
        garbage = fault is not None and fault.error == GARBAGE
        if fault is not None and not garbage:
            extra = {"Retry-After": str(fault.retry_after)} if (
                fault.status == 429 and fault.retry_after is not None) else {}
            return self._fail(method, params, fault.status, fault.error, extra)
        try:
            result = self.state.call(method, params)
        except SlackError as exc:
            return self._fail(method, params, 200, exc.error, {}, exc.extra)
        except Exception:
            log.exception("fake slack: %s crashed", method)
            return self._fail(method, params, 500, "fatal_error")
        self._record(Call(method, params, time.time()))
        self._notify(method, params)
        if self._take_lost(method, params):
            return 500, {}, {"ok": False, "error": "internal_error"}
        return 200, {_GARBAGE_HEADER: "1"} if garbage else {}, {"ok": True, **result}

    def _response(self, name: str, body: bytes) -> Answer:
        if self.down:
            return 503, {}, {"ok": False, "error": "service_unavailable"}
        self._wait()
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 400, {}, {"ok": False, "error": "invalid_payload"}
        with self._lock:
            self._responses.setdefault(name, []).append(payload)
            self._changed.notify_all()
        self._notify("response_url", {"name": name, "payload": payload})
        return 200, {}, {"ok": True}

    def _fail(self, method: str, params: Params, status: int, error: str,
              headers: dict[str, str] | None = None, extra: Params | None = None) -> Answer:
        self._record(Call(method, params, time.time(), status, error))
        return status, headers or {}, {"ok": False, "error": error, **(extra or {})}

    def _wait(self) -> None:
        delay = self.latency + (self._rng.uniform(0, self.jitter) if self.jitter > 0 else 0.0)
        if delay > 0:
            time.sleep(delay)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            return queue.popleft() if queue else None

    def _take_lost(self, method: str, params: Params) -> bool:
        with self._lock:
            for i, (lost, channel) in enumerate(self._lost):
                if lost == method and channel in (None, params.get("channel")):
                    del self._lost[i]
                    return True
            return False

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            self._changed.notify_all()

    def _notify(self, method: str, params: Params) -> None:
        hook = self.on_call
        if hook is None:
            return
        try:
            hook(method, copy.deepcopy(params))
        except Exception:  # a broken printer must not turn into a Slack outage
            log.exception("fake slack: on_call hook failed for %s", method)
