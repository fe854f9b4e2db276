"""The builtin table documents itself: editors show `Builtin.doc` on completion, hover and signature help, so
every builtin needs a summary and an `Args:` line for each parameter, in signature order."""

from __future__ import annotations

import re

import pytest

from envbuild.lang.builtins import BUILTINS


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_every_builtin_is_documented_parameter_by_parameter(name: str) -> None:
    spec = BUILTINS[name]
    summary, _, rest = spec.doc.partition("\n")
    assert summary.strip().endswith("."), f"{name}: the first line is a one-sentence summary"
    documented = re.findall(r"^    (\w+): \S", rest, re.MULTILINE)
    assert documented == [param for param, _ in spec.params]
    if not spec.params:
        assert "Args:" not in spec.doc


def test_shared_handlers_get_their_own_text() -> None:
    """install.rust and install.go share one handler; each still describes itself."""
    assert "Rust" in BUILTINS["install.rust"].doc and "Go " in BUILTINS["install.go"].doc
