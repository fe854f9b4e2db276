"""Damaged state files, generated: envbuild's ssh-config block cut, doubled, garbled or mixed with the
user's bytes, and contexts.yaml mangled. Reading never fails with anything but an `EnvbuildError`, writing
keeps every byte outside envbuild's block, and the block always comes out whole again."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envbuild import contexts
from envbuild.errors import EnvbuildError
from envbuild.runtime import ssh_config
from envbuild.runtime.ssh_config import BEGIN, END, SSHEntry

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
BLOCK_LINES = [BEGIN, *SSHEntry("old", 40001, Path("/k")).render(), "Host *", END]
USER_LINES = st.sampled_from(
    [b"Host work", b"  User me", b"# comment", b"", b"Port 22", b"  Port notanumber", b"Host *.envd",
     b"\xff\xfe latin \xe9", b"Include ~/.ssh/other", b"Host a.envd", b"   "]
)  # fmt: skip


@st.composite
def damaged_config(draw) -> tuple[bytes, bytes]:
    """(file bytes, the user's bytes outside any block): a user's file with envbuild lines mixed in."""
    user = draw(st.lists(USER_LINES, max_size=6))
    block = [line.encode() for line in BLOCK_LINES]
    # cut the block anywhere, garble one line, or double it
    cut = draw(st.integers(0, len(block)))
    kind = draw(st.sampled_from(["whole", "cut", "garbled", "double", "only-end"]))
    if kind == "cut":
        block = block[:cut] or [BEGIN.encode()]
    elif kind == "garbled":
        index = draw(st.integers(1, len(block) - 2))
        block[index] = draw(
            st.sampled_from([b"  Port", b"  Port 99999999", b"Host", b"\x00\xff", b"  HostName"])
        )
    elif kind == "double":
        block = block + block
    elif kind == "only-end":
        block = [END.encode()]
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    position = draw(st.integers(0, len(user)))
    lines = user[:position] + block + user[position:]
    data = newline.join(lines) + draw(st.sampled_from([b"", newline]))
    return data, b""


@pytest.fixture
def config_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "ssh" / "config"
    path.parent.mkdir()
    monkeypatch.setenv("ENVBUILD_SSH_CONFIG", str(path))
    return path


@SETTINGS
@given(case=damaged_config())
def test_damaged_ssh_config_is_read_and_repaired(config_path, case):
    data, _ = case
    config_path.write_bytes(data)
    try:
        ssh_config.entries()
    except EnvbuildError:
        pytest.fail("a damaged block must be read leniently")
    ssh_config.add_entry(SSHEntry("new", 40002, Path("/k")))
    written = config_path.read_bytes()
    text = written.decode("utf-8", errors="surrogateescape")
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert ssh_config.entries()["new"].port == 40002
    ssh_config.remove_entry("new")
    ssh_config.remove_entry("old")
    after = config_path.read_bytes().decode("utf-8", errors="surrogateescape")
    assert BEGIN not in after and END not in after
    # every line of the user's that was not inside a block is still there, in order
    user_lines = [line for line in data.decode("utf-8", errors="surrogateescape").splitlines()]
    kept = [line for line in after.splitlines()]
    assert all(line in user_lines for line in kept)


YAML_VALUES = st.recursive(
    st.one_of(st.none(), st.integers(), st.text(max_size=10)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
CONTEXTS_FILES = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    YAML_VALUES.map(lambda value: yaml.safe_dump({"current": "default", "contexts": value}).encode()),
    st.integers(1, 6000).map(lambda depth: b"current: " + b"[" * depth + b"]" * depth),
)


@SETTINGS
@given(data=CONTEXTS_FILES)
def test_mangled_contexts_file_is_an_error_or_a_store(tmp_path, monkeypatch, data):
    monkeypatch.setenv("ENVBUILD_CONFIG_DIR", str(tmp_path / "cfg"))
    path = contexts.contexts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        store = contexts.load()
    except EnvbuildError as err:
        assert str(path) in err.message and err.hint
        return
    assert store.get(contexts.DEFAULT_NAME) is not None
