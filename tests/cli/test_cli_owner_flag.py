"""`--owner` accepts what Linux accepts: an id too large is a usage error naming the flag, not a crash in
the compiler (found by tests/reliability/test_flags.py with 99999999999999999999)."""

from __future__ import annotations

import pytest

from envbuild.cli.building import MAX_ID, check_owner
from envbuild.errors import UsageError


def test_owner_ids_within_32_bits():
    assert check_owner("1000") == (1000, 1000)
    assert check_owner(f"0:{MAX_ID}") == (0, MAX_ID)
    for value in ("99999999999999999999", f"{MAX_ID + 1}", f"1000:{2**40}"):
        with pytest.raises(UsageError, match="--owner"):
            check_owner(value)
