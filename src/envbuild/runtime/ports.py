"""Host ports for published container ports: free ones the kernel picks, or the ones the user asked for."""

from __future__ import annotations

import socket

from envbuild.errors import EnvbuildError


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now. Docker binds it a moment later; `up` retries if another process
    wins that race ("port is already allocated")."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def check_port_free(port: int, host: str = "127.0.0.1", *, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as err:
            raise EnvbuildError(
                f"host port {host}:{port} for {what} is already in use",
                hint="free it, or choose another port (or 0 for any free port)",
            ) from err
