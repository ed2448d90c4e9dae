"""FakeSocketMode: Slack's Socket Mode end of the websocket, on loopback.

`FakeSlack(socket_mode=...)` answers `apps.connections.open` (with the app-level token) with
this fake's `ws://` URL; the real slack_sdk SocketModeClient connects, gets `hello`, and is
sent envelopes (`send`) as Slack sends them. Each ack the client sends back is recorded by
envelope id (`wait_ack`), with its response payload. Only what the client needs of RFC 6455
is here: the handshake, text frames, ping/pong and close.
"""

import base64
import contextlib
import hashlib
import itertools
import json
import logging
import socket
import struct
import threading
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_APP_TOKEN = "xapp-1-sandbox"
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA


class FakeSocketMode:
    def __init__(self, app_token: str = DEFAULT_APP_TOKEN) -> None:
        self.app_token = app_token
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._clients: list[socket.socket] = []
        self._acks: dict[str, Any] = {}
        self._changed = threading.Condition()
        self._ids = itertools.count(1)
        self._send_lock = threading.Lock()
        self._stopped = False
        threading.Thread(target=self._accept, name="fake-socket-mode", daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=sandbox"

    def __enter__(self) -> "FakeSocketMode":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopped = True
        with self._changed:
            clients, self._clients = self._clients, []
        for sock in [self._listener, *clients]:
            with contextlib.suppress(OSError):
                sock.close()

    # --- driving the client --------------------------------------------------------------
    def wait_connected(self, timeout: float = 10.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: bool(self._clients), timeout)

    def send(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0,
             envelope_id: str | None = None) -> str:
        """Send one envelope (`events_api`, `slash_commands`, `interactive`) to the newest
        connection; returns its envelope id. The same id again is a redelivery."""
        envelope_id = envelope_id or f"env-{next(self._ids)}"
        message = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                   "accepts_response_payload": kind != "events_api",
                   "retry_attempt": retry_attempt,
                   "retry_reason": "timeout" if retry_attempt else ""}
        with self._changed:
            if not self._clients:
                raise RuntimeError("no Socket Mode client is connected")
            client = self._clients[-1]
        self._frame(client, _TEXT, json.dumps(message).encode())
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> Any:
        """The ack's payload ({} for an empty ack); TimeoutError when none came."""
        with self._changed:
            if not self._changed.wait_for(lambda: envelope_id in self._acks, timeout):
                raise TimeoutError(f"no ack for {envelope_id}")
            return self._acks[envelope_id]

    def acked(self, envelope_id: str) -> bool:
        with self._changed:
            return envelope_id in self._acks

    # --- the wire --------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stopped:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if not self._handshake(sock):
                return
            with self._changed:
                self._clients.append(sock)
                self._changed.notify_all()
            self._frame(sock, _TEXT, json.dumps({
                "type": "hello", "num_connections": 1,
                "debug_info": {"host": "sandbox"}, "connection_info": {"app_id": "A0VIGILO"},
            }).encode())
            while True:
                opcode, data = self._read_frame(sock)
                if opcode == _TEXT:
                    self._received(json.loads(data))
                elif opcode == _PING:
                    self._frame(sock, _PONG, data)
                elif opcode == _CLOSE:
                    self._frame(sock, _CLOSE, data[:2])
                    return
        except (OSError, ValueError, ConnectionError):
            log.debug("fake socket mode: a connection ended", exc_info=True)
        finally:
            with self._changed:
                if sock in self._clients:
                    self._clients.remove(sock)
            sock.close()

    def _received(self, message: Any) -> None:
        if isinstance(message, dict) and message.get("envelope_id"):
            with self._changed:
                self._acks[str(message["envelope_id"])] = message.get("payload") or {}
                self._changed.notify_all()

    def _handshake(self, sock: socket.socket) -> bool:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = sock.recv(4096)
            if not chunk:
                return False
            request += chunk
        headers = dict(line.split(": ", 1) for line in
                       request.decode("latin-1").split("\r\n")[1:] if ": " in line)
        key = {k.lower(): v for k, v in headers.items()}.get("sec-websocket-key", "")
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        return True

    def _frame(self, sock: socket.socket, opcode: int, data: bytes) -> None:
        """A server frame: final, unmasked."""
        size = len(data)
        if size < 126:
            head = struct.pack("!BB", 0x80 | opcode, size)
        elif size < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 126, size)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
        with self._send_lock:
            sock.sendall(head + data)

    def _read_frame(self, sock: socket.socket) -> tuple[int, bytes]:
        """One client frame (masked, as clients must send them); fragments are joined."""
        payload, opcode = b"", None
        while True:
            first, second = _exactly(sock, 2)
            opcode = first & 0x0F if opcode is None else opcode  # continuations are 0
            size = second & 0x7F
            if size == 126:
                size = struct.unpack("!H", _exactly(sock, 2))[0]
            elif size == 127:
                size = struct.unpack("!Q", _exactly(sock, 8))[0]
            mask = _exactly(sock, 4) if second & 0x80 else b"\0\0\0\0"
            data = _exactly(sock, size)
            payload += bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            if first & 0x80:
                return opcode, payload


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the client closed the connection")
        data += chunk
    return data
