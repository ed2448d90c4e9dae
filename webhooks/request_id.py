"""A request id on every HTTP answer and every log line made while serving it.

The id comes from the proxy's `X-Request-Id` when it sends a sane one, so a line in our logs
can be matched with the load balancer's; otherwise it is made here. Threads that Bolt or
Starlette start for the request inherit it with the context (asyncio copies contextvars).
"""

import re
import uuid

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from integrations.log_context import bound
from webhooks.security import replaced

HEADER = "x-request-id"
_NAME_BYTES = HEADER.encode("latin-1")
_NAME = frozenset({_NAME_BYTES})
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestId:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(HEADER, "")
        request_id = given if _SANE.match(given) else uuid.uuid4().hex[:16]
        raw = [(_NAME_BYTES, request_id.encode("latin-1"))]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = replaced(message.get("headers", ()), _NAME, raw)
            await send(message)

        with bound(request_id=request_id):
            await self.app(scope, receive, send_with_id)
