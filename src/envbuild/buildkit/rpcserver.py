"""The session's gRPC server: gRPC over HTTP/2 spoken by us (with `h2`), on the pipe the daemon connected.

grpcio's server could not do two things the session needs. It only serves on a socket it listens on, so the
daemon's connection (dockerd's upgraded `/session`, a `Control.Session` stream) had to be relayed through a
private unix socket. And it completes one message at a time, each waiting for its completion queue's thread
and the GIL: a context of many small files is three messages per file (a STAT, a DATA, an empty DATA), and
grpcio, not the daemon, set the pace. Here a streaming handler may yield *batches*: each batch goes out in as
few HTTP/2 frames and one socket write as flow control allows.

Scope: what BuildKit's session client uses. Uncompressed messages (we do not offer compression, so the
client sends none), no deadlines, one handler thread per call. Flow control both ways: a call's unread
messages stop being acknowledged past `HIGH_WATER`, so a fast sender cannot fill memory, and a message
longer than the connection's `MAX_MESSAGE` ends its call (RESOURCE_EXHAUSTED) before it is buffered.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import grpc
import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from envbuild.buildkit.connection import MAX_MESSAGE
from envbuild.buildkit.relay import Pipe

#: Our receive window (per call and for the connection): BuildKit may send this much before we read it.
WINDOW = 8 * 1024 * 1024
#: Unread bytes of one call past which we stop acknowledging what arrives for it.
HIGH_WATER = WINDOW
#: Response bytes one call may queue before its handler waits for the peer to read.
MAX_PENDING = 2 * 1024 * 1024
_RESPONSE_HEADERS = [(":status", "200"), ("content-type", "application/grpc")]


class Cancelled(Exception):
    """The peer reset the call or the connection ended."""


class Aborted(Exception):
    """A handler ended its call with a status (see `Context.abort`)."""

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(details)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class Method:
    """How one RPC is served. `decode`/`encode` None: the handler sees and makes raw message bytes.

    A handler gets (request or iterator of requests, context) and returns a response or, when
    `streams_out`, an iterator of them; with `batches`, an iterator of lists, each list sent in one write.
    """

    handler: Callable[[Any, Context], Any]
    decode: Callable[[bytes], Any] | None = None
    encode: Callable[[Any], bytes] | None = None
    streams_in: bool = False
    streams_out: bool = False
    batches: bool = False


def unary(handler: Callable, decode: Callable[[bytes], Any], encode: Callable[[Any], bytes]) -> Method:
    return Method(handler, decode, encode)


def unary_stream(handler: Callable, decode: Callable[[bytes], Any], encode: Callable[[Any], bytes]) -> Method:
    return Method(handler, decode, encode, streams_out=True)


def stream_stream(
    handler: Callable,
    decode: Callable[[bytes], Any] | None = None,
    encode: Callable[[Any], bytes] | None = None,
    *,
    batches: bool = False,
) -> Method:
    return Method(handler, decode, encode, streams_in=True, streams_out=True, batches=batches)


class Context:
    """What a handler may ask of its call: the request's metadata, and ending it with a status."""

    def __init__(self, headers: Sequence[tuple[str, str]]):
        self._metadata = [(k, v) for k, v in headers if not k.startswith(":")]

    def invocation_metadata(self) -> list[tuple[str, str]]:
        return self._metadata

    def abort(self, code: grpc.StatusCode, details: str) -> NoReturn:
        raise Aborted(code, details)


def _frame(message: bytes) -> bytes:
    """gRPC's length-prefixed message: not compressed, 4-byte big-endian length."""
    return b"\x00" + len(message).to_bytes(4, "big") + message


def _status_message(text: str) -> str:
    """grpc-message is percent-encoded UTF-8 outside printable ASCII (and '%' itself)."""
    return "".join(
        chr(b) if 0x20 <= b <= 0x7E and b != 0x25 else f"%{b:02X}" for b in text.encode("utf-8", "replace")
    )


class _Call:
    """One stream: its unread messages, and writing its response under the connection's lock."""

    def __init__(self, server: Server, stream_id: int):
        self.server = server
        self.id = stream_id
        self.buffer = bytearray()
        self.inbox: deque[bytes] = deque()
        self.queued = 0  # bytes in the inbox
        self.deferred = 0  # received bytes not yet acknowledged (past HIGH_WATER)
        self.ended = False  # the peer finished sending
        self.cancelled = False
        self.finished = False  # our trailers are out (or the call is dead)
        self.headers_sent = False
        self.pending = bytearray()  # framed response bytes h2 has not taken yet, from `offset`
        self.offset = 0

    def receive(self, data: bytes, flow_length: int) -> None:
        """Split what arrived into messages (under the lock)."""
        buf = self.buffer
        buf += data
        pos = 0
        while len(buf) - pos >= 5:
            size = int.from_bytes(buf[pos + 1 : pos + 5], "big")
            if len(buf) - pos - 5 < size:
                break
            if buf[pos]:
                self.server.h2.reset_stream(self.id, h2.errors.ErrorCodes.PROTOCOL_ERROR)
                self.cancelled = True
                return
            if size > MAX_MESSAGE:
                self._refuse(
                    grpc.StatusCode.RESOURCE_EXHAUSTED.value[0],
                    f"a message of {size} bytes is over the limit of {MAX_MESSAGE}",
                )
                self.server.h2.acknowledge_received_data(flow_length, self.id)  # the connection's share
                return
            self.inbox.append(bytes(buf[pos + 5 : pos + 5 + size]))
            self.queued += size
            pos += 5 + size
        del buf[:pos]
        if self.queued <= HIGH_WATER:
            self.server.h2.acknowledge_received_data(flow_length, self.id)
        else:
            self.deferred += flow_length

    def _refuse(self, code: int, message: str) -> None:
        """End the call now with a status (the lock held), whatever the peer is still sending."""
        self.finished = self.cancelled = True
        self.buffer.clear()
        with contextlib.suppress(h2.exceptions.H2Error):
            self.server.h2.send_headers(self.id, self._status_headers(code, message), end_stream=True)
            self.server.h2.reset_stream(self.id, h2.errors.ErrorCodes.NO_ERROR)

    def _status_headers(self, code: int, message: str) -> list[tuple[str, str]]:
        """The trailers of a status, after the response headers when none went out yet."""
        trailers = [("grpc-status", str(code))]
        if message:
            trailers.append(("grpc-message", _status_message(message)))
        return trailers if self.headers_sent else _RESPONSE_HEADERS + trailers

    def messages(self) -> Iterator[bytes]:
        server = self.server
        lock = server.lock
        while True:
            with lock:
                while not self.inbox and not self.ended and not self.cancelled:
                    lock.wait()
                if self.cancelled:
                    raise Cancelled()
                if not self.inbox:
                    return
                message = self.inbox.popleft()
                self.queued -= len(message)
                if self.deferred and self.queued <= HIGH_WATER:
                    server.h2.acknowledge_received_data(self.deferred, self.id)
                    self.deferred = 0
                    server.flush()
            yield message

    def send(self, payload: bytes) -> None:
        """Queue framed messages; they go out as the peer's windows allow, pushed by whichever thread learns
        of room first (this one, or the reader on a WINDOW_UPDATE, without waking this one). Waits only
        while more than `MAX_PENDING` bytes are queued."""
        server = self.server
        with server.lock:
            self._check()
            try:
                if not self.headers_sent:
                    server.h2.send_headers(self.id, _RESPONSE_HEADERS)
                    self.headers_sent = True
            except h2.exceptions.H2Error as exc:
                self.cancelled = True
                raise Cancelled() from exc
            self.pending += payload
            self.push()
            server.flush()
            while len(self.pending) - self.offset > MAX_PENDING:
                server.lock.wait()
                self._check()

    def push(self) -> None:
        """Hand h2 as much of the queue as the windows take (with the lock held; the caller flushes)."""
        conn = self.server.h2
        try:
            while self.offset < len(self.pending):
                room = min(conn.local_flow_control_window(self.id), conn.max_outbound_frame_size)
                if room <= 0:
                    return
                end = self.offset + room
                conn.send_data(self.id, bytes(self.pending[self.offset : end]))
                self.offset = min(end, len(self.pending))
        except h2.exceptions.H2Error:
            self.cancelled = True
            return
        finally:
            if self.offset >= len(self.pending):
                self.pending.clear()
                self.offset = 0
            elif self.offset > MAX_PENDING:
                del self.pending[: self.offset]
                self.offset = 0

    def _check(self) -> None:
        if self.cancelled or self.server.closed:
            raise Cancelled()

    def finish(self, code: int, message: str = "") -> None:
        server = self.server
        with server.lock:
            while self.offset < len(self.pending) and not (self.cancelled or server.closed):
                server.lock.wait()  # the data goes first; the reader pushes it
            if self.finished or self.cancelled or server.closed:
                self.finished = True
                return
            self.finished = True
            with contextlib.suppress(h2.exceptions.H2Error, Cancelled):
                server.h2.send_headers(self.id, self._status_headers(code, message), end_stream=True)
                server.flush()


class Server:
    """Serve `methods` (by path, "/package.Service/Method") on `pipe` until it ends or `close()`."""

    def __init__(self, pipe: Pipe, methods: dict[str, Method], *, name: str = "session"):
        self.pipe = pipe
        self.methods = methods
        self.name = name
        self.h2 = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        self.lock = threading.Condition()
        self.calls: dict[int, _Call] = {}
        self.closed = False
        self.done = threading.Event()
        threading.Thread(target=self._run, name=f"{name}-h2", daemon=True).start()

    def flush(self) -> None:
        """Write what h2 has queued (called with the lock held; the peer always reads, so this returns)."""
        data = self.h2.data_to_send()
        if data:
            try:
                self.pipe.send(data)
            except (OSError, ValueError) as exc:
                self._mark_closed()
                raise Cancelled() from exc

    def close(self) -> None:
        with self.lock:
            self._mark_closed()
        self.pipe.close()

    def _mark_closed(self) -> None:
        self.closed = True
        for call in self.calls.values():
            call.cancelled = True
        self.lock.notify_all()

    def _run(self) -> None:
        try:
            with self.lock:
                self.h2.initiate_connection()
                self.h2.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: WINDOW})
                self.h2.increment_flow_control_window(WINDOW - self.h2.inbound_flow_control_window)
                self.flush()
            while data := self.pipe.recv():
                with self.lock:
                    for event in self.h2.receive_data(data):
                        self._on(event)
                    for call in self.calls.values():
                        if call.offset < len(call.pending):
                            call.push()
                    self.flush()
                    self.lock.notify_all()
        except (OSError, ValueError, Cancelled, h2.exceptions.H2Error):
            pass
        finally:
            with self.lock:
                self._mark_closed()
            self.pipe.close()
            self.done.set()

    def _on(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived):
            headers = [(str(k), str(v)) for k, v in event.headers or ()]
            call = _Call(self, event.stream_id)
            method = self.methods.get(dict(headers).get(":path", ""))
            if method is None:
                call.finish(grpc.StatusCode.UNIMPLEMENTED.value[0], "unknown method")
                return
            self.calls[event.stream_id] = call
            threading.Thread(
                target=self._serve, args=(call, method, headers), name=f"{self.name}-call", daemon=True
            ).start()
            return
        known = self.calls.get(getattr(event, "stream_id", 0) or 0)
        if isinstance(event, h2.events.DataReceived):
            length = event.flow_controlled_length or 0
            if known is None or known.finished:
                self.h2.acknowledge_received_data(length, event.stream_id or 0)
            else:
                known.receive(event.data or b"", length)
        elif isinstance(event, h2.events.StreamEnded) and known:
            known.ended = True
        elif isinstance(event, h2.events.StreamReset) and known:
            known.cancelled = True
        elif isinstance(event, h2.events.ConnectionTerminated):
            self._mark_closed()

    def _serve(self, call: _Call, method: Method, headers: list[tuple[str, str]]) -> None:
        context = Context(headers)
        decode = method.decode or _same
        encode = method.encode or _same
        result: Any = None
        try:
            inbound = call.messages()
            if method.streams_in:
                request: Any = map(decode, inbound)
            else:
                raw = next(inbound, None)
                if raw is None:
                    raise Aborted(grpc.StatusCode.INTERNAL, "the request carried no message")
                request = decode(raw)
            result = method.handler(request, context)
            if not method.streams_out:
                call.send(_frame(encode(result)))
            elif method.batches:
                for batch in result:
                    call.send(b"".join(_frame(encode(m)) for m in batch))
            else:
                for message in result:
                    call.send(_frame(encode(message)))
            call.finish(0)
        except Aborted as exc:
            call.finish(exc.code.value[0], exc.details)
        except Cancelled:
            call.finish(grpc.StatusCode.CANCELLED.value[0])
        except Exception as exc:  # as grpcio does: the call fails, the session goes on
            call.finish(grpc.StatusCode.UNKNOWN.value[0], f"Exception calling application: {exc}")
        finally:
            if isinstance(result, Iterator) and hasattr(result, "close"):
                result.close()
            with self.lock:
                self.calls.pop(call.id, None)
                if call.deferred:
                    with contextlib.suppress(h2.exceptions.H2Error):
                        self.h2.acknowledge_received_data(call.deferred, call.id)
                    with contextlib.suppress(Cancelled):
                        self.flush()


def _same(value: Any) -> Any:
    return value


def paths(services: dict[str, dict[str, Method]]) -> dict[str, Method]:
    """{service: {name: method}} → {"/service/name": method}."""
    return {f"/{svc}/{name}": m for svc, methods in services.items() for name, m in methods.items()}

