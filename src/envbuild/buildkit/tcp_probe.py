"""Before gRPC dials a `tcp://` buildkitd: does anything listen, and do we and it agree on TLS?

gRPC only reports "not ready" after its timeout, whatever went wrong. One plain connection and, for TLS, one
handshake with Python's `ssl` find the cause in a second and name it: a closed port, a server certificate the
CA does not verify (or made out for another name), a server that wants a client certificate we do not send or
rejects the one we send, TLS on one side only.
"""

from __future__ import annotations

import socket
import ssl

from envbuild.buildkit.address import Address
from envbuild.buildkit.errors import AddressError, UnreachableError

TIMEOUT = 10.0
#: What a client says first on an HTTP/2 connection (RFC 9113 3.4) plus an empty SETTINGS frame: a TLS server
#: that refuses our certificate answers it with an alert, a healthy one with its own SETTINGS.
_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
_TLS_RECORD_TYPES = (0x15, 0x16)  # alert, handshake: the first byte a TLS server writes


def probe(addr: Address) -> None:
    """Raise an `UnreachableError` naming the cause if a gRPC channel to `addr` (scheme tcp) cannot work."""
    host, _, port = addr.host.rpartition(":")
    where = f"tcp://{addr.host}"
    try:
        raw = socket.create_connection((host.strip("[]"), int(port)), timeout=TIMEOUT)
    except OSError as exc:
        raise UnreachableError(
            f"buildkitd does not answer at {where} ({exc.strerror or exc})",
            hint="check that buildkitd listens there (`buildkitd --addr tcp://...`)",
        ) from exc
    with raw:
        if addr.tls is None:
            _plain(raw, where)
        else:
            _tls(raw, addr, host, where)


def _plain(raw: socket.socket, where: str) -> None:
    """Without TLS options: a plain gRPC server answers our HTTP/2 preface with its SETTINGS; Go's TLS server
    hangs up at once (the preface is no TLS record), other TLS servers answer with a TLS record."""
    try:
        raw.sendall(_H2_PREFACE)
        raw.settimeout(2.0)
        first = raw.recv(64)
    except OSError:
        return  # no verdict: let gRPC try
    if not first or first[0] in _TLS_RECORD_TYPES:
        raise UnreachableError(
            f"buildkitd at {where} hung up at once on a plain connection, as a TLS-only buildkitd does, and "
            "this builder has no TLS settings",
            hint="create the context with --tlscacert (and --tlscert/--tlskey if buildkitd checks clients)",
        )


def _tls(raw: socket.socket, addr: Address, host: str, where: str) -> None:
    tls = addr.tls
    assert tls is not None
    try:
        context = ssl.create_default_context(cafile=tls.ca_cert or None)
        if tls.cert and tls.key:
            context.load_cert_chain(tls.cert, tls.key)
    except (OSError, ssl.SSLError) as exc:
        raise AddressError(f"the TLS files of {where} cannot be used: {exc}") from exc
    context.set_alpn_protocols(["h2"])
    name = tls.server_name or host.strip("[]")
    ca = tls.ca_cert or "the system's CA bundle"
    try:
        with context.wrap_socket(raw, server_hostname=name) as conn:
            # TLS 1.3: a server that refuses our client certificate says so after the handshake, on read.
            conn.sendall(_H2_PREFACE)
            conn.settimeout(2.0)
            conn.recv(64)
    except ssl.SSLCertVerificationError as exc:
        raise UnreachableError(
            f"buildkitd at {where} presents a certificate that {ca} does not accept for {name!r}: "
            f"{exc.verify_message}",
            hint="--tlscacert: the CA that signed buildkitd's certificate; --tlsservername: a name in it",
        ) from exc
    except ssl.SSLError as exc:
        reason = (exc.reason or str(exc)).upper()
        if "CERTIFICATE_REQUIRED" in reason or "BAD_CERTIFICATE" in reason or "UNKNOWN_CA" in reason:
            given = "no client certificate" if not tls.cert else f"the client certificate {tls.cert}"
            raise UnreachableError(
                f"buildkitd at {where} refused the connection: it requires a client certificate signed by "
                f"its CA, and got {given}",
                hint="create the context with --tlscert and --tlskey issued by the CA buildkitd trusts",
            ) from exc
        if "WRONG_VERSION_NUMBER" in reason or "RECORD_LAYER" in reason:
            raise UnreachableError(
                f"buildkitd at {where} does not speak TLS, but this builder has TLS settings",
                hint="create the context without --tls* options, or start buildkitd with TLS",
            ) from exc
        raise UnreachableError(f"TLS with buildkitd at {where} failed: {exc}") from exc
    except OSError:
        return  # a read timeout after a good handshake: nothing refused us
