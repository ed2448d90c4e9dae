"""FakeChatModel: an OpenAI-compatible chat-completions endpoint on loopback.

The real `openai` client talks to it over HTTP (`POST {base}/chat/completions`). By default
it answers like a model asked for a postmortem draft: a JSON object whose sections name the
incident it found in the prompt. Tests read the prompts it received and inject faults: a
slow answer, an HTTP error, an empty answer, prose instead of JSON, the wrong shape.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from vigilo.sandbox.loopback import LoopbackServer

_KEY = re.compile(r"INC-\d{4,}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeChatModel) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        status, answer = self.server.fake._answer(self.path, dict(self.headers), body)
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            pass

    def log_message(self, format: str, *args: Any) -> None:
        return None


class FakeChatModel(LoopbackServer):
    """Use as a context manager; `base_url` is what VIGILO_AI_BASE_URL points at."""

    name = "fake-ai"

    def __init__(self, api_key: str | None = "sk-test") -> None:
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.fault: str | None = None  # slow, 500, 503, empty, prose, shape, huge
        self.delay = 0.0
        self.content: str | None = None  # a fixed answer instead of the default draft
        self._lock = threading.Lock()
        self._server: _Server | None = None

    @property
    def base_url(self) -> str:
        return self.origin() + "/v1"

    def _make_server(self) -> ThreadingHTTPServer:
        return _Server(self)

    def prompts(self) -> list[str]:
        """Every message text of every request, joined per request."""
        return ["\n".join(str(m.get("content")) for m in r.get("messages") or [])
                for r in self.requests]

    # --- answering ---------------------------------------------------------------------
    def _answer(self, path: str, headers: dict[str, str], body: bytes
                ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            fault, delay, fixed = self.fault, self.delay, self.content
        if not path.rstrip("/").endswith("/chat/completions"):
            return 404, _error("unknown path", "invalid_request_error")
        if self.api_key and headers.get("Authorization", headers.get("authorization")) != (
                f"Bearer {self.api_key}"):
            return 401, _error("Incorrect API key provided", "invalid_api_key")
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return 400, _error("body is not JSON", "invalid_request_error")
        with self._lock:
            self.requests.append(request)
            self.headers.append(headers)
        if fault == "slow":
            time.sleep(delay or 5.0)
        if fault in ("500", "503"):
            return int(fault), _error("The server is overloaded", "server_error")
        content = fixed if fixed is not None else self._draft(request)
        if fault == "empty":
            content = ""
        elif fault == "prose":
            content = "Sure! Here is a postmortem draft: the service fell over."
        elif fault == "shape":
            content = json.dumps({"verdict": "someone's fault", "summary": 42})
        elif fault == "huge":
            content = json.dumps({"summary": "x" * 20_000})
        return 200, {
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion",
            "created": int(time.time()), "model": str(request.get("model") or ""),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}}

    def _draft(self, request: dict[str, Any]) -> str:
        text = "\n".join(str(m.get("content")) for m in request.get("messages") or [])
        found = _KEY.search(text)
        key = found.group(0) if found else "the incident"
        return json.dumps({
            "summary": f"AI summary of {key}: checkout failed for customers until rollback.",
            "root_cause": f"AI root cause of {key}: a bad deploy.",
            "contributing_factors": "- No canary for the deploy\n- Alert fired late"})


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": code, "code": code, "param": None}}
