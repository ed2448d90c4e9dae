"""What every sandbox fake shares: an HTTP server on loopback, on a thread of its own."""

import threading
from abc import ABC, abstractmethod
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Self


class LoopbackServer(ABC):
    """Start, stop and `with` for a fake; subclasses say how their server is made."""

    name = "fake"
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @abstractmethod
    def _make_server(self) -> ThreadingHTTPServer:
        """The bound (not yet serving) server: plain HTTP, or wrapped in TLS."""

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

    def origin(self, scheme: str = "http") -> str:
        """`scheme://host:port` of the running server."""
        if self._server is None:
            raise RuntimeError(f"{self.name} is not started")
        host, port = self._server.server_address[:2]
        return f"{scheme}://{host!s}:{port}"
