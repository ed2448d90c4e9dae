"""FakeTwilio: Twilio's Messages API (2010-04-01) on loopback, for the real `twilio` client.

Point the client at it with `client.api.base_url = fake.base_url` (TWILIO_API_URL). It checks
HTTP Basic auth like Twilio, validates numbers, answers with Twilio's JSON, records every
message, lists them (`GET Messages.json?To=`), and injects faults: 429 (Twilio's 20429) with
Retry-After, 500, slow answers and lost answers (the SMS is sent, the reply never comes).
`status_callback(sid, status)` builds the signed callback Twilio would POST back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import logging
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from core.sms import segments
from vigilo.sandbox.loopback import FakeHandler, KeepAliveHandler, LoopbackServer

log = logging.getLogger(__name__)

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "twilio-sandbox-token"
FROM_NUMBER = "+15005550006"
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_MESSAGES = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")



@dataclass
class Sms:
    sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    status: str = "queued"
    date_created: float = 0.0

    def to_api(self, account: str) -> dict[str, Any]:
        return {"sid": self.sid, "account_sid": account, "to": self.to, "from": self.from_,
                "body": self.body, "status": self.status, "num_segments": str(segments(
                    self.body)), "direction": "outbound-api", "error_code": None,
                "error_message": None, "price": None, "api_version": "2010-04-01",
                "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000",
                                              time.gmtime(self.date_created)),
                "uri": f"/2010-04-01/Accounts/{account}/Messages/{self.sid}.json"}


LOST = 0  # send the SMS, then drop the answer
GARBAGE = -1  # send the SMS, then answer 200 with a body that is not JSON


@dataclass(frozen=True)
class _Fault:
    status: int  # an HTTP status, or LOST, or GARBAGE
    retry_after: int | None = None
    code: int = 20429


class FakeTwilio(LoopbackServer):
    """Twilio's Messages API on 127.0.0.1; use as a context manager or start()/stop()."""

    name = "fake-twilio"
    handler = KeepAliveHandler

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN, *,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.latency = 0.0
        self.messages: list[Sms] = []
        self._address = (host, port)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._faults: deque[_Fault] = deque()
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        """What to use as TWILIO_API_URL (replacing https://api.twilio.com)."""
        return self.origin()

    def fail_next(self, status: int = 429, *, retry_after: int | None = 1,
                  times: int = 1) -> None:
        with self._lock:
            self._faults.extend(_Fault(status, retry_after) for _ in range(times))

    def sent_to(self, number: str) -> list[Sms]:
        with self._lock:
            return [m for m in self.messages if m.to == number]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Sms]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.messages)}/{count} SMS in {timeout}s")
                self._changed.wait(left)
            return list(self.messages)

    def status_callback(self, sid: str, status: str, *, error_code: str | None = None
                        ) -> tuple[str, dict[str, str], dict[str, str]]:
        """(url, form, headers) of the callback Twilio POSTs when a message changes status,
        signed with the account's auth token like Twilio signs it."""
        with self._lock:
            sms = next(m for m in self.messages if m.sid == sid)
            sms.status = status
        form = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
                "To": sms.to, "From": sms.from_, "AccountSid": self.account_sid,
                "ApiVersion": "2010-04-01"}
        if error_code:
            form["ErrorCode"] = error_code
        url = sms.status_callback or ""
        return url, form, {"X-Twilio-Signature": signature(self.auth_token, url, form)}

    # --- HTTP ----------------------------------------------------------------------------
    def _serve(self, request: FakeHandler) -> None:
        url = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length).decode() if length else ""
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        with self._lock:
            fault = self._faults.popleft() if self._faults and request.command == "POST" \
                else None
        if self.latency:
            time.sleep(self.latency)
        status, answer, headers = self._answer(request, url, form, fault)
        if fault is not None and fault.status == LOST:
            request.close_connection = True
            return
        data, ctype = json.dumps(answer).encode(), "application/json"
        if fault is not None and fault.status == GARBAGE:
            status, data, ctype = 200, b"<html><body>502 Bad Gateway</body>", "text/html"
        try:
            request.send_response(status)
            request.send_header("Content-Type", ctype)
            request.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                request.send_header(key, value)
            request.end_headers()
            request.wfile.write(data)
        except OSError:
            log.debug("fake twilio: client went away")

    def _answer(self, request: FakeHandler, url: Any, form: dict[str, str],
                fault: _Fault | None) -> tuple[int, dict[str, Any], dict[str, str]]:
        match = _MESSAGES.match(url.path)
        if match is None:
            return 404, _error(20404, "The requested resource was not found", 404), {}
        expected = "Basic " + base64.b64encode(
            f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("Authorization") != expected or match.group(1) != \
                self.account_sid:
            return 401, _error(20003, "Authenticate", 401), {}
        if fault is not None and fault.status > 0:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            if fault.status == 429:
                return 429, _error(20429, "Too Many Requests", 429), headers
            return fault.status, _error(20500, "Internal Server Error", fault.status), headers
        if request.command == "GET":
            wanted = parse_qs(url.query).get("To", [None])[0]
            with self._lock:
                found = [m.to_api(self.account_sid) for m in reversed(self.messages)
                         if wanted is None or m.to == wanted]
            return 200, {"messages": found, "page": 0, "page_size": 50,
                         "next_page_uri": None, "uri": url.path}, {}
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not _E164.match(to):
            return 400, _error(21211, f"The 'To' number {to} is not a valid phone number.",
                               400), {}
        if not _E164.match(sender):
            return 400, _error(21212, f"The 'From' number {sender} is not a valid phone "
                               "number.", 400), {}
        if not body:
            return 400, _error(21602, "Message body is required.", 400), {}
        with self._lock:
            sms = Sms(f"SM{next(self._ids):032d}", to, sender, body,
                      form.get("StatusCallback"), "queued", time.time())
            self.messages.append(sms)
            self._changed.notify_all()
            return 201, sms.to_api(self.account_sid), {}


def signature(token: str, url: str, form: dict[str, str]) -> str:
    """X-Twilio-Signature: base64 HMAC-SHA1 of the URL followed by each key and value,
    keys sorted."""
    data = url + "".join(f"{k}{form[k]}" for k in sorted(form))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
                            ).decode()


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {"code": code, "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}

