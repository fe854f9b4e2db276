"""The committed src/envbuild/_proto tree is exactly what scripts/gen_protos.py makes from llb/.

Regenerating into a temporary directory and comparing file by file catches both a hand edit of generated
code and a .proto change that was committed without regenerating.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "src" / "envbuild" / "_proto"


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_generated_code_matches_declarations(tmp_path):
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_protos.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    fresh = _tree(tmp_path / "envbuild" / "_proto")
    committed = _tree(COMMITTED)
    assert sorted(fresh) == sorted(committed), "run scripts/gen_protos.py: the set of generated files differs"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"run scripts/gen_protos.py: these generated files are out of date: {stale}"


def test_every_declaration_has_a_module():
    for proto in (ROOT / "llb").rglob("*.proto"):
        module = ".".join(proto.relative_to(ROOT / "llb").with_suffix("").parts) + "_pb2"
        assert importlib.util.find_spec(module) is not None, f"{proto} has no generated module {module}"
