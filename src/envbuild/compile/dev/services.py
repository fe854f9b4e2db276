"""Horust as PID 1 of the dev image, its service files, and the SSH server it starts.

Horust and every service run as the dev user, as in envd (whose own sshd is a user-space server): OpenSSH
runs unprivileged on port 2222 with host keys it owns, so it can only ever log in that one user, with the one
key in `/var/envd/authorized_keys` (baked in when the build knows the key, and bind-mounted by `envbuild up`).
Host keys are made at the container's first start, so two containers never share them and no private key
sits in an image layer.
"""

from __future__ import annotations

from collections.abc import Mapping

from envbuild import contract, llb
from envbuild.compile import horust

HOST_KEY_DIR = "/etc/envbuild/ssh"
SSHD_CONFIG = horust.SSHD_CONFIG
SFTP_SERVER = "internal-sftp"


def install_horust(state: llb.State, source: horust.HorustSource) -> llb.State:
    """Copy the Horust binary in from wherever `source` says (release tarball, local file, image); a local
    file's directory is among the build's inputs (`inputs.local_dirs`)."""
    name = f"[internal] install {source.describe()}"
    if source.kind == "release":
        assert source.url is not None
        tarball = llb.http(source.url, checksum=source.checksum, filename="horust.tar.gz",
                           custom_name=f"{horust.FETCH_STEP} {source.version}")
        unpacked = llb.scratch().copy(tarball, "/horust.tar.gz", "/", unpack_archives=True,
                                      custom_name="[internal] unpack Horust")
        return state.copy(unpacked, f"/{source.member}", horust.BINARY_PATH, mode=0o755, custom_name=name)
    if source.kind == "image":
        assert source.ref is not None and source.path is not None
        image = llb.image(source.ref)
        return state.copy(image, source.path, horust.BINARY_PATH, mode=0o755, custom_name=name)
    filename = source.local_file
    files = llb.local(source.local_name, include=[filename], shared_key=source.local_name,
                      custom_name=f"[internal] load {filename}")
    return state.copy(files, f"/{filename}", horust.BINARY_PATH, mode=0o755, custom_name=name)


def sshd_config(*, user: str, uid: int, env: Mapping[str, str], port: int = contract.SSH_PORT) -> str:
    """OpenSSH settings for an unprivileged sshd: keys only, one user, one key file, the image's env."""
    lines = [
        "# envbuild: unprivileged sshd for the dev environment (key login for one user only)",
        f"Port {port}",
        "ListenAddress 0.0.0.0",
        f"HostKey {HOST_KEY_DIR}/ssh_host_ed25519_key",
        f"PidFile {horust.RUN_DIR}/sshd.pid",
        f"AuthorizedKeysFile {contract.AUTHORIZED_KEYS}",
        f"AllowUsers {user}",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitEmptyPasswords no",
        # uid 0 only when the owner is root, where `envd` is another name for root
        f"PermitRootLogin {'prohibit-password' if uid == 0 else 'no'}",
        "UsePAM no",
        "PrintMotd no",
        "X11Forwarding no",
        "AllowTcpForwarding yes",
        "AcceptEnv LANG LC_* COLORTERM TERM_PROGRAM*",
        f"Subsystem sftp {SFTP_SERVER}",
    ]
    # sshd gives sessions a fixed PATH; the image's env (venv, conda, go...) must reach ssh sessions too
    settings = [f"{k}={v}" for k, v in env.items() if _settable(k, v)]
    if settings:
        lines.append("SetEnv " + " ".join(_sshd_quote(s) for s in settings))
    return "\n".join(lines) + "\n"


def _settable(key: str, value: str) -> bool:
    return key.replace("_", "a").isalnum() and '"' not in value and "\n" not in value


def _sshd_quote(setting: str) -> str:
    return f'"{setting}"' if any(c in setting for c in " \t#'") else setting


def sshd_start_script() -> str:
    """Make a missing host key (first start of this container), then run sshd in the foreground.

    One ed25519 key: every OpenSSH client of the last ten years takes it, and it is made in milliseconds,
    where an RSA key took seconds and was most of the wait between `up` and a working ssh.
    """
    key = f"{HOST_KEY_DIR}/ssh_host_ed25519_key"
    return (
        # only a root sshd (owner uid 0) separates privileges and needs its empty chroot directory
        'if [ "$(id -u)" = 0 ]; then mkdir -p /run/sshd && chmod 0755 /run/sshd; fi\n'
        f"mkdir -p {HOST_KEY_DIR}\n"
        f'[ -f {key} ] || ssh-keygen -q -t ed25519 -N "" -f {key}\n'
        f"exec /usr/sbin/sshd -D -e -f {SSHD_CONFIG}\n"
    )


def write_files(state: llb.State, files: Mapping[str, tuple[str, int]], chown) -> llb.State:
    """mkfile each path (sorted, so the LLB is stable) with its mode, all in one file op: one step and one
    layer, where a step per file cost ~15 ms each and a layer each to export on every rebuild of the layer."""
    name = f"[internal] write {len(files)} files for sshd and the services"
    for path in sorted(files):
        content, mode = files[path]
        state = state.mkfile(path, content, mode=mode, chown=chown, custom_name=name)
    return state


def service_files(services: tuple[horust.Service, ...]) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for service in services:
        for f in service.files():
            out[f.path] = (f.content, f.mode)
    return out


def authorized_keys_line(public_key: str) -> str:
    """The one accepted key, as one line (a trailing newline or comment in the key file is kept tidy)."""
    key = public_key.strip().splitlines()[0] if public_key.strip() else ""
    return key + "\n"
