"""What every sandbox fake shares: an HTTP server on loopback, on a thread of its own, that
hands each request to the fake."""

import contextlib
import logging
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

log = logging.getLogger(__name__)


class FakeHandler(BaseHTTPRequestHandler):
    """Every method goes to the fake's `_serve`, which answers like the real service."""

    server: "FakeHTTPServer"

    def _route(self) -> None:
        self.server.fake._serve(self)

    do_GET = do_POST = do_PUT = _route

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(f"{self.server.fake.name}: " + format, *args)


class KeepAliveHandler(FakeHandler):
    """HTTP/1.1: clients keep their connections open between requests, as they do with the
    real services (requests sessions for PagerDuty and Twilio, Vigilo's Slack client)."""

    protocol_version = "HTTP/1.1"
    # An answer is written as headers, then body: with Nagle's algorithm on, the body waits
    # for the client's delayed ACK of the headers on a kept connection (40 ms a request).
    disable_nagle_algorithm = True


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver listens with a backlog of 5: when a burst opened more connections at
    # once than the accept loop took (each TLS handshake is done there), the kernel dropped
    # the rest and their clients tried again only a second later, which showed up as a
    # second's stall on a few Slack calls in every burst. Slack does not do that.
    request_queue_size = 1024

    def __init__(self, fake: "LoopbackServer", address: tuple[str, int],
                 handler: type[BaseHTTPRequestHandler]) -> None:
        self.fake = fake
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self.accepted = 0  # connections made to it: tests tell kept ones from new ones
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
            self.accepted += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        """Also ends the connections clients kept open: a stopped fake answers nobody, as
        a service that went down would not."""
        super().server_close()
        with self._open_lock:
            kept, self._open = list(self._open), set()
        for request in kept:
            with contextlib.suppress(OSError):  # the client closed it meanwhile
                request.shutdown(socket.SHUT_RDWR)


def serve_tls(server: ThreadingHTTPServer, cert: Any) -> ThreadingHTTPServer:
    """`server` answering over TLS with `cert` (a `trustme` leaf certificate)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    # The handshake is made by each connection's own thread, on its first read (OpenSSL
    # accepts implicitly), not by the accept loop one connection after another: in a burst
    # of new connections that queue alone held every client up by several milliseconds each.
    server.socket = context.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    return server


class LoopbackServer:
    """Start, stop and `with` for a fake serving `_serve` on `_address`."""

    name = "fake"
    handler: type[BaseHTTPRequestHandler] = FakeHandler
    _address: tuple[str, int] = ("127.0.0.1", 0)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def _serve(self, request: Any) -> None:
        """Answer one request (the fakes built on FakeHandler define it)."""
        request.send_error(501, f"{self.name} answers no requests")

    def _make_server(self) -> ThreadingHTTPServer:
        """The bound, not yet serving, server; PagerDuty's wraps it in TLS."""
        return FakeHTTPServer(self, self._address, self.handler)

    def start(self) -> Self:
        if self._server is None:
            self._server = self._make_server()
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            kwargs={"poll_interval": 0.05},
                                            name=self.name, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def connections(self) -> int:
        """How many connections clients have made to the running server."""
        return self._server.accepted if isinstance(self._server, FakeHTTPServer) else 0

    def origin(self, scheme: str = "http") -> str:
        """`scheme://host:port` of the running server."""
        if self._server is None:
            raise RuntimeError(f"{self.name} is not started")
        host, port = self._server.server_address[:2]
        return f"{scheme}://{host!s}:{port}"
