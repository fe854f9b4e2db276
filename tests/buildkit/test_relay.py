"""The byte relay between grpcio's private socket and an upstream connection, on real sockets."""

from __future__ import annotations

import select
import socket
import struct

from envbuild.buildkit.relay import SocketPipe, join


def _tcp_pair() -> tuple[socket.socket, socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        near = socket.create_connection(server.getsockname())
        far, _ = server.accept()
    return near, far


def test_bytes_go_both_ways_and_an_orderly_end_reaches_the_other_side():
    grpc_side, relay_side = socket.socketpair()
    upstream, daemon = _tcp_pair()
    finished = join(SocketPipe(relay_side), SocketPipe(upstream))
    grpc_side.sendall(b"ping")
    assert daemon.recv(4) == b"ping"
    daemon.sendall(b"pong")
    assert grpc_side.recv(4) == b"pong"
    daemon.close()
    grpc_side.settimeout(5)
    assert grpc_side.recv(1) == b""
    grpc_side.close()
    assert finished.wait(5)


def test_a_reset_upstream_closes_the_grpc_side_at_once():
    """A daemon killed with unread bytes resets the connection: grpcio must see its socket end, not hang."""
    grpc_side, relay_side = socket.socketpair()
    upstream, daemon = _tcp_pair()
    finished = join(SocketPipe(relay_side), SocketPipe(upstream))
    grpc_side.sendall(b"unread by the daemon")
    assert select.select([daemon], [], [], 5)[0]  # arrived, and left unread
    daemon.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    daemon.close()  # RST, as the kernel sends for a killed process with unread data
    grpc_side.settimeout(5)
    assert grpc_side.recv(1) == b""  # closed while grpcio's side is still open
    assert finished.wait(5)
