"""Protobuf's wire format, where envbuild writes message bytes itself instead of through message objects.

Two places need it: LLB digests (an Op's oneof member appended to the head's bytes, as Go's marshaller
orders it) and the context sender (fsutil packets written without a message object per packet).
"""

from __future__ import annotations


def varint(value: int) -> bytes:
    """`value` (non-negative) as a base-128 varint, least significant group first."""
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
