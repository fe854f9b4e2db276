"""The session's own gRPC server, driven by grpcio's client (another gRPC implementation) over a unix socket.

The daemon's Go client drives it in every build test; here the edges are checked one by one: statuses and
their messages, unknown methods, batches, flow control past both sides' windows, and a cancelled call.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from envbuild.buildkit import rpcserver
from envbuild.buildkit.relay import SocketPipe

MB = 1024 * 1024


@pytest.fixture
def serve(tmp_path: Path):
    """serve(methods) → a grpcio channel whose one connection our server handles."""
    opened: list[tuple[socket.socket, grpc.Channel, list[rpcserver.Server]]] = []

    def start(methods: dict[str, rpcserver.Method]) -> grpc.Channel:
        path = tmp_path / f"s{len(opened)}.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(path))
        listener.listen(1)
        servers: list[rpcserver.Server] = []

        def accept() -> None:
            conn, _ = listener.accept()
            servers.append(rpcserver.Server(SocketPipe(conn), methods, name="test"))

        threading.Thread(target=accept, daemon=True).start()
        channel = grpc.insecure_channel(f"unix:{path}")
        opened.append((listener, channel, servers))
        return channel

    yield start
    for listener, channel, servers in opened:
        channel.close()
        for server in servers:
            server.close()
            assert server.done.wait(5)
        listener.close()


def _echo(request: bytes, context: rpcserver.Context) -> bytes:
    meta = dict(context.invocation_metadata())
    return request + b"|" + meta.get("x-tag", "").encode()


def test_a_unary_call_sees_its_request_and_metadata(serve):
    channel = serve({"/t.S/Echo": rpcserver.unary(_echo, bytes, bytes)})
    answer = channel.unary_unary("/t.S/Echo")(b"hello", metadata=[("x-tag", "v1")], timeout=10)
    assert answer == b"hello|v1"


def test_a_status_and_its_message_reach_the_caller(serve):
    def refuse(request: bytes, context: rpcserver.Context) -> bytes:
        context.abort(grpc.StatusCode.NOT_FOUND, "no dir «ctx» at 100%")

    channel = serve({"/t.S/Refuse": rpcserver.unary(refuse, bytes, bytes)})
    with pytest.raises(grpc.RpcError) as caught:
        channel.unary_unary("/t.S/Refuse")(b"", timeout=10)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert caught.value.details() == "no dir «ctx» at 100%"


def test_an_unknown_method_is_unimplemented_and_a_failing_handler_unknown(serve):
    def broken(request: bytes, context: rpcserver.Context) -> bytes:
        raise RuntimeError("disk on fire")

    channel = serve({"/t.S/Broken": rpcserver.unary(broken, bytes, bytes)})
    with pytest.raises(grpc.RpcError) as caught:
        channel.unary_unary("/t.S/Nope")(b"", timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    with pytest.raises(grpc.RpcError) as caught:
        channel.unary_unary("/t.S/Broken")(b"", timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNKNOWN
    assert "disk on fire" in caught.value.details()


def test_batches_arrive_as_single_messages_in_order_past_every_window(serve):
    """20 MB each way: more than grpcio's windows (64 kB to start) and our own, so both sides wait on
    flow control; every message arrives once, in order."""
    sizes: list[int] = []

    def batched(requests: Iterator[bytes], context: rpcserver.Context) -> Iterator[list[bytes]]:
        for request in requests:
            sizes.append(len(request))
            yield [bytes([n % 251]) * 1000 for n in range(int(request))] + [b"end-" + request]

    channel = serve({"/t.S/Batch": rpcserver.stream_stream(batched, batches=True)})
    answers = list(channel.stream_stream("/t.S/Batch")(iter([b"3", b"20000"]), timeout=30))
    assert answers[:3] == [bytes([n]) * 1000 for n in range(3)] and answers[3] == b"end-3"
    assert len(answers) == 4 + 20001
    assert answers[4 + 250] == bytes([250]) * 1000 and answers[-1] == b"end-20000"

    assert sizes == [1, 5]

    def sink(requests: Iterator[bytes], context: rpcserver.Context) -> Iterator[bytes]:
        total = 0
        for request in requests:
            total += len(request)
        yield str(total).encode()

    channel = serve({"/t.S/Sink": rpcserver.stream_stream(sink)})
    answers = list(channel.stream_stream("/t.S/Sink")(iter([b"0" * (2 * MB)] * 10), timeout=30))
    assert answers == [str(20 * MB).encode()]


def test_a_message_over_the_limit_ends_its_call_and_the_connection_serves_on(serve, monkeypatch):
    monkeypatch.setattr(rpcserver, "MAX_MESSAGE", 64 * 1024)
    seen: list[int] = []

    def count(request: bytes, context: rpcserver.Context) -> bytes:
        seen.append(len(request))
        return b"ok"

    channel = serve({"/t.S/Count": rpcserver.unary(count, bytes, bytes)})
    with pytest.raises(grpc.RpcError) as caught:
        channel.unary_unary("/t.S/Count")(b"x" * (MB), timeout=10)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "over the limit of 65536" in caught.value.details()
    assert channel.unary_unary("/t.S/Count")(b"x" * 1000, timeout=10) == b"ok"
    assert seen == [1000]


def test_a_cancelled_call_stops_its_handler(serve):
    stopped = threading.Event()
    started = threading.Event()

    def endless(request: bytes, context: rpcserver.Context) -> Iterator[bytes]:
        try:
            started.set()
            while True:
                yield b"x" * 100_000
        finally:
            stopped.set()

    channel = serve({"/t.S/Endless": rpcserver.unary_stream(endless, bytes, bytes)})
    call = channel.unary_stream("/t.S/Endless")(b"", timeout=30)
    next(call)
    assert started.wait(5)
    call.cancel()
    assert stopped.wait(10)
