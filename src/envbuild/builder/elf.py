"""Is a file an ELF executable for a platform? Read from its header, before anything is built.

A local `--horust FILE` is copied into the image as PID 1; a wrong file (a script, a macOS binary, an arm64
build for an amd64 image) would only fail when the container starts. The ELF header says enough: the magic,
the type (executable or position-independent executable) and `e_machine`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

# e_machine values (System V ABI, and each architecture's supplement) by Go/OCI architecture name
MACHINES = {"amd64": 62, "arm64": 183, "arm": 40, "386": 3, "ppc64le": 21, "s390x": 22, "riscv64": 243}
_NAMES = {62: "x86-64", 183: "AArch64", 40: "ARM", 3: "i386", 21: "PowerPC64", 22: "s390x", 243: "RISC-V"}
_EXEC, _DYN = 2, 3


def executable_problem(path: Path, platform: str) -> str | None:
    """None when `path` is an ELF executable for `platform` (`linux/amd64`...), else what it is instead."""
    try:
        with path.open("rb") as fh:
            header = fh.read(20)
    except OSError as err:
        return f"it cannot be read ({err.strerror or err})"
    if len(header) < 20 or header[:4] != b"\x7fELF":
        if header[:2] == b"#!":
            return "it is a script, not a compiled program"
        if header[:4] in (b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
            return "it is a macOS (Mach-O) program"
        return "it is not an ELF executable"
    order: Literal["little", "big"] = "little" if header[5] == 1 else "big"
    e_type = int.from_bytes(header[16:18], order)
    machine = int.from_bytes(header[18:20], order)
    if e_type not in (_EXEC, _DYN):
        return "it is an ELF file but not an executable (an object file or core dump)"
    arch = platform.split("/")[1] if "/" in platform else platform
    wanted = MACHINES.get(arch)
    if wanted is not None and machine != wanted:
        found = _NAMES.get(machine, f"machine {machine}")
        return f"it is built for {found}, and the image is {platform} ({_NAMES[wanted]})"
    return None
