"""Security headers for every response of the side app, and the same-origin check for forms.

Share tokens travel in URLs, so no page may leak its URL in a Referer; pages render no
inline script or style, so the policy can forbid both outright.
"""

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")

SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


# As ASGI sends them, made once: setting six headers one by one through MutableHeaders
# scanned and re-encoded the response's header list six times, in every answer (Slack's
# acks too).
_RAW = [(name.encode("latin-1"), value.encode("latin-1"))
        for name, value in SECURITY_HEADERS.items()]
_NAMES = frozenset(name for name, _ in _RAW)


def replaced(headers: Iterable[tuple[bytes, bytes]], names: frozenset[bytes],
             added: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """An ASGI header list with `added` in place of any earlier header named in `names`."""
    return [*(pair for pair in headers if pair[0].lower() not in names), *added]


class SecurityHeaders:
    """Pure ASGI middleware: sets the headers above (replacing any earlier value), so it is
    safe to apply both per route and around the whole app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = replaced(message.get("headers", ()), _NAMES, _RAW)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def same_origin(headers: Headers, base_url: str, request_origin: str) -> bool:
    """Whether a form post comes from our own pages. Under `Referrer-Policy: no-referrer`
    browsers send `Origin: null` on form posts, so Sec-Fetch-Site decides then. A client that
    sends neither (curl, old browsers) is let through: the session cookie is SameSite=Lax and
    the sign-in token in the form is itself the credential."""
    origin = headers.get("origin")
    if origin is not None and origin != "null":
        return origin.rstrip("/") in {_origin(base_url), request_origin}
    site = headers.get("sec-fetch-site")
    return site is None or site in ("same-origin", "none")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
