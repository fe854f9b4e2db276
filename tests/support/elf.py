"""A minimal ELF header, for tests that need "an executable for platform X" without compiling one."""

from __future__ import annotations

import struct

X86_64, AARCH64 = 62, 183


def elf_header(machine: int = X86_64, *, e_type: int = 2) -> bytes:
    """64-bit little-endian ELF identification plus e_type and e_machine; enough for envbuild's check."""
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    return ident + struct.pack("<HH", e_type, machine) + bytes(44)
