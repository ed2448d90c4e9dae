"""FakePagerDuty: PagerDuty's REST API v2, served over HTTPS on loopback.

The real `pagerduty.RestApiV2Client` refuses a non-https base URL, so the fake serves TLS with
a certificate from a throwaway `trustme` CA; point the client at it with `SSL_CERT_FILE` (or
`ca_path`) and `base_url`. It keeps incidents like PagerDuty does (an `incident_key` that
matches an open incident is refused as a duplicate, statuses only move forward), records every
call, and injects faults: 429 with Retry-After, 500, slow answers, lost answers (the call
takes effect, the reply never comes) and garbage (it takes effect, the 200 is not JSON). It
can also send webhooks v3 back, signed.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections import deque
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from vigilo.sandbox.loopback import FakeHandler, KeepAliveHandler, LoopbackServer, serve_tls
from vigilo.sandbox.pagerduty_model import (
    GARBAGE,
    LOST,
    ORDER,
    Fault,
    Params,
    PdCall,
    PdIncident,
    error,
    route_of,
    sign_webhook,
)

log = logging.getLogger(__name__)

API_KEY = "pd-sandbox-key"
FROM_EMAIL = "vigilo@example.com"
SERVICE_ID = "PSANDBOX"
__all__ = ["API_KEY", "FROM_EMAIL", "GARBAGE", "LOST", "SERVICE_ID", "FakePagerDuty",
           "PdCall", "PdIncident", "sign_webhook"]


class FakePagerDuty(LoopbackServer):
    """PagerDuty on 127.0.0.1 over TLS; use as a context manager or start()/stop()."""

    name = "fake-pagerduty"
    handler = KeepAliveHandler

    def __init__(self, api_key: str = API_KEY, *, service_id: str = SERVICE_ID,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        import trustme

        self.api_key = api_key
        self.service_id = service_id
        self.latency = 0.0
        self.ca = trustme.CA()
        self._cert = self.ca.issue_cert(host, "localhost")
        self._address = (host, port)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._calls: list[PdCall] = []
        self._faults: dict[str, deque[Fault]] = {}
        self.incidents: dict[str, PdIncident] = {}
        # The account's priorities, most severe first, as PagerDuty's default scheme names
        # them; an empty list is an account without the feature.
        self.priorities: list[Params] = [
            {"id": f"PRIO{n}", "type": "priority", "name": f"P{n}", "order": n}
            for n in range(1, 6)]
        self._ids = itertools.count(1)
        self._ca_file: str | None = None

    # --- lifecycle -----------------------------------------------------------------------
    def _make_server(self) -> ThreadingHTTPServer:
        return serve_tls(super()._make_server(), self._cert)

    @property
    def base_url(self) -> str:
        """What to pass as the client's `base_url` (PAGERDUTY_API_URL)."""
        return self.origin("https") + "/"

    def ca_file(self, directory: str) -> str:
        """Write the CA's PEM into `directory`, for SSL_CERT_FILE; returns its path."""
        path = f"{directory}/fake-pagerduty-ca.pem"
        self.ca.cert_pem.write_to_path(path)
        self._ca_file = path
        return path

    # --- set-up, fault injection, inspection ---------------------------------------------
    def fail_next(self, route: str, status: int = 429, *, retry_after: int | None = 1,
                  times: int = 1, delay: float = 0.0) -> None:
        """The next `times` calls of `route` ("POST /incidents", "PUT /incidents/{id}")
        answer `status`; LOST (0) lets the call take effect and then drops the answer,
        GARBAGE (-1) lets it take effect and answers 200 with a body that is not JSON."""
        with self._lock:
            self._faults.setdefault(route, deque()).extend(
                Fault(status, retry_after, delay) for _ in range(times))

    @property
    def calls(self) -> list[PdCall]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, route: str) -> list[PdCall]:
        with self._lock:
            return [c for c in self._calls if f"{c.method} {route_of(c.path)}" == route]

    def wait_for(self, route: str, count: int = 1, timeout: float = 5.0) -> list[PdCall]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(found := self.calls_to(route)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(found)}/{count} calls to {route} in {timeout}s")
                self._changed.wait(left)
            return found

    def incident(self, pd_id: str) -> PdIncident:
        with self._lock:
            return self.incidents[pd_id]

    def trigger(self, title: str, *, urgency: str = "high") -> PdIncident:
        """An incident raised on PagerDuty's side (an alert), not by Vigilo."""
        with self._lock:
            return self._create(title, self.service_id, urgency, None)

    # --- webhooks v3 ---------------------------------------------------------------------
    def webhook(self, event_type: str, pd_id: str, secret: str, *, event_id: str | None = None,
                extra: Params | None = None, agent: str = "Pat Pager") -> tuple[bytes, dict[
                    str, str]]:
        """The body and headers PagerDuty sends for an event on one of its incidents."""
        with self._lock:
            found = self.incidents.get(pd_id)
            data = found.to_api(self.base_url) if found else {
                "id": pd_id, "type": "incident", "title": "unknown", "status": "triggered"}
        data |= extra or {}
        body = json.dumps({"event": {
            "id": event_id or f"E{next(self._ids):06d}", "event_type": event_type,
            "resource_type": "incident", "occurred_at": time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "agent": {"type": "user_reference", "summary": agent, "id": "PUSER1"},
            "data": data}}).encode()
        return body, {"Content-Type": "application/json",
                      "X-PagerDuty-Signature": sign_webhook(secret, body),
                      "X-Webhook-Id": "PWEBHOOK1"}

    # --- HTTP ----------------------------------------------------------------------------
    def _serve(self, request: FakeHandler) -> None:
        url = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        route = f"{request.command} {route_of(url.path)}"
        headers = {k.lower(): v for k, v in request.headers.items()
                   if k.lower() in ("from", "content-type", "accept")}
        with self._lock:
            self._calls.append(PdCall(request.command, url.path,
                                      body if isinstance(body, dict) else {}, headers))
            fault = self._faults.get(route, deque()).popleft() if self._faults.get(
                route) else None
            self._changed.notify_all()
        if self.latency or (fault and fault.delay):
            time.sleep(self.latency + (fault.delay if fault else 0.0))
        status, answer, extra = self._answer(request, route, url, body, fault)
        if fault is not None and fault.status == LOST:
            request.close_connection = True  # it happened; the answer is lost on the way
            return
        data, ctype = json.dumps(answer).encode(), "application/json"
        if fault is not None and fault.status == GARBAGE:
            status, data, ctype = 200, b"<html><body>502 Bad Gateway</body>", "text/html"
        try:
            request.send_response(status)
            request.send_header("Content-Type", ctype)
            request.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                request.send_header(key, value)
            request.end_headers()
            request.wfile.write(data)
        except OSError:
            log.debug("fake pagerduty: client went away before the answer to %s", route)

    def _answer(self, request: FakeHandler, route: str, url: Any, body: Any,
                fault: Fault | None) -> tuple[int, Params, dict[str, str]]:
        if request.headers.get("Authorization") != f"Token token={self.api_key}":
            return 401, error(2006, "Invalid Credentials"), {}
        if fault is not None and fault.status > 0:
            extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            code = 2020 if fault.status == 429 else 2000
            return fault.status, error(code, "Injected fault"), extra
        if body is None:
            return 400, error(2001, "Invalid Input Provided", ["body is not JSON"]), {}
        with self._lock:
            return self._dispatch(request, route, url, body)

    def _dispatch(self, request: FakeHandler, route: str, url: Any,
               body: Params) -> tuple[int, Params, dict[str, str]]:
        parts = url.path.strip("/").split("/")
        if route == "POST /incidents":
            return self._post_incident(request, body)
        if route == "GET /incidents":
            keys = parse_qs(url.query).get("incident_key", [])
            found = [i.to_api(self.base_url) for i in self.incidents.values()
                     if not keys or i.incident_key in keys]
            return 200, {"incidents": found, "limit": 25, "offset": 0, "more": False}, {}
        if route == "GET /priorities":
            return 200, {"priorities": list(self.priorities), "limit": 25, "offset": 0,
                         "more": False}, {}
        incident = self.incidents.get(parts[1]) if len(parts) > 1 else None
        if "/incidents/{id}" in route and incident is None:
            return 404, error(2100, "Not Found"), {}
        if route == "GET /incidents/{id}" and incident:
            return 200, {"incident": incident.to_api(self.base_url)}, {}
        if route == "PUT /incidents/{id}" and incident:
            return self._put_incident(request, incident, body)
        if route == "GET /incidents/{id}/notes" and incident:
            return 200, {"notes": [{"id": f"N{n + 1}", "content": text} for n, text in
                                   enumerate(incident.notes)]}, {}
        if route == "POST /incidents/{id}/notes" and incident:
            if not request.headers.get("From"):
                return 400, error(2001, "Invalid Input Provided", ["From header missing"]), {}
            content = str((body.get("note") or {}).get("content") or "")
            incident.notes.append(content)
            return 201, {"note": {"id": f"N{len(incident.notes)}", "content": content}}, {}
        return 404, error(2100, "Not Found"), {}

    def _post_incident(self, request: FakeHandler, body: Params) -> tuple[int, Params,
                                                                       dict[str, str]]:
        data = body.get("incident") or {}
        if not request.headers.get("From"):
            return 400, error(2001, "Invalid Input Provided", ["From header is required"]), {}
        service = (data.get("service") or {}).get("id")
        if service != self.service_id:
            return 400, error(2001, "Invalid Input Provided", ["Service not found"]), {}
        title = str(data.get("title") or "")
        if not title:
            return 400, error(2001, "Invalid Input Provided", ["Title cannot be empty"]), {}
        key = data.get("incident_key")
        if key and any(i.incident_key == key and i.status != "resolved"
                       for i in self.incidents.values()):
            return 400, error(2001, "Invalid Input Provided", [
                "Open incident with matching dedup key already exists on this service"]), {}
        urgency = data.get("urgency") or "high"
        incident = self._create(title, service, urgency, key)
        incident.priority = (data.get("priority") or {}).get("id")
        return 201, {"incident": incident.to_api(self.base_url)}, {}

    def _put_incident(self, request: FakeHandler, incident: PdIncident,
                      body: Params) -> tuple[int, Params, dict[str, str]]:
        data = body.get("incident") or {}
        if not request.headers.get("From"):
            return 400, error(2001, "Invalid Input Provided", ["From header is required"]), {}
        status = data.get("status")
        if status is not None:
            if status not in ORDER:
                return 400, error(2001, "Invalid Input Provided", ["Invalid status"]), {}
            if ORDER[status] < ORDER[incident.status]:
                return 400, error(2001, "Invalid Input Provided", [
                    f"Incident is already {incident.status}"]), {}
            incident.status = status
        if data.get("urgency") in ("high", "low"):
            incident.urgency = data["urgency"]
        if "priority" in data:
            wanted = (data.get("priority") or {}).get("id")
            if wanted is not None and wanted not in {p["id"] for p in self.priorities}:
                return 400, error(2001, "Invalid Input Provided", ["Priority not found"]), {}
            incident.priority = wanted
        return 200, {"incident": incident.to_api(self.base_url)}, {}

    def _create(self, title: str, service: str, urgency: str,
                key: str | None) -> PdIncident:
        number = next(self._ids)
        incident = PdIncident(f"Q{number:05d}PD", number, title, service, urgency, key)
        self.incidents[incident.id] = incident
        return incident
