"""The ssh config block: only our lines change, writes are atomic, entries round-trip."""

from __future__ import annotations

import os
from pathlib import Path

from envbuild.runtime import ssh_config
from envbuild.runtime.ssh_config import BEGIN, END, SSHEntry

USER_CONFIG = """ServerAliveInterval 60

Host work
  HostName work.example
  User me
"""


def test_entry_goes_in_a_marked_block_on_top_and_user_lines_stay(_isolated_ssh_config: Path):
    path = _isolated_ssh_config
    path.write_text(USER_CONFIG)
    os.chmod(path, 0o644)
    ssh_config.add_entry(SSHEntry("proj", 40022, Path("/keys/id")))
    text = path.read_text()
    lines = text.splitlines()
    assert lines[0] == BEGIN
    block = lines[: lines.index(END) + 1]
    assert "Host proj.envd" in block and "  Port 40022" in block and "  User envd" in block
    assert '  IdentityFile "/keys/id"' in block and "  StrictHostKeyChecking no" in block
    assert "  UserKnownHostsFile /dev/null" in block and "  HostName 127.0.0.1" in block
    # the block ends with `Host *` so the user's top-level options stay global
    assert block[-2] == "Host *"
    assert text.endswith(USER_CONFIG)
    assert path.stat().st_mode & 0o777 == 0o644

    ssh_config.add_entry(SSHEntry("other", 40023, Path("/keys/id")))
    ssh_config.add_entry(SSHEntry("proj", 40099, Path("/keys/id")))  # replaced, not duplicated
    found = ssh_config.entries()
    assert sorted(found) == ["other", "proj"] and found["proj"].port == 40099
    assert path.read_text().count(BEGIN) == 1

    assert ssh_config.remove_entry("proj") is True
    assert ssh_config.remove_entry("proj") is False
    ssh_config.remove_entry("other")
    assert path.read_text() == USER_CONFIG  # block gone with its last entry: the file is the user's again


def test_new_file_is_private_and_block_stays_where_the_user_moved_it(_isolated_ssh_config: Path):
    path = _isolated_ssh_config
    ssh_config.add_entry(SSHEntry("a", 1, Path("/k")))
    assert path.stat().st_mode & 0o777 == 0o600
    moved = "Host first\n  User x\n" + path.read_text()
    path.write_text(moved)
    ssh_config.add_entry(SSHEntry("b", 2, Path("/k")))
    assert path.read_text().startswith("Host first\n  User x\n" + BEGIN)


def test_symlinked_config_stays_a_symlink(_isolated_ssh_config: Path, tmp_path: Path):
    real = tmp_path / "dotfiles-ssh-config"
    real.write_text("Host x\n")
    _isolated_ssh_config.symlink_to(real)
    ssh_config.add_entry(SSHEntry("a", 1, Path("/k")))
    assert _isolated_ssh_config.is_symlink()
    assert "Host a.envd" in real.read_text()


def test_real_ssh_reads_the_entry(_isolated_ssh_config: Path):
    import subprocess

    ssh_config.add_entry(SSHEntry("proj", 40022, Path("/keys/id")))
    out = subprocess.run(
        ["ssh", "-G", "-F", str(_isolated_ssh_config), "proj.envd"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    settings = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert settings["hostname"] == "127.0.0.1" and settings["port"] == "40022" and settings["user"] == "envd"
    assert settings["identityfile"] == "/keys/id" and settings["stricthostkeychecking"] == "false"


# ---------------------------------------------------------------- damaged and unusual files (issue 13)


def _block(*entries: SSHEntry, end: bool = True) -> str:
    lines = [BEGIN]
    for entry in entries:
        lines += entry.render()
    lines += ["Host *"] + ([END] if end else [])
    return "\n".join(lines) + "\n"


def test_damaged_entry_is_skipped_with_a_warning_and_replaced(_isolated_ssh_config: Path, caplog):
    path = _isolated_ssh_config
    path.write_text(_block(SSHEntry("ok", 40001, Path("/k"))).replace("Port 40001", "Port notanumber"))
    found = ssh_config.entries()
    assert found == {}
    assert f"{path}:2: envbuild's entry for ok is damaged (Port notanumber)" in caplog.text
    assert ssh_config.remove_entry("ok") is True  # destroy removes even a damaged entry
    assert BEGIN not in path.read_text() and "notanumber" not in path.read_text()


def test_missing_end_marker_is_repaired_and_never_doubled(_isolated_ssh_config: Path, caplog):
    path = _isolated_ssh_config
    path.write_text(_block(SSHEntry("a", 40001, Path("/k")), end=False) + USER_CONFIG)
    assert ssh_config.entries()["a"].port == 40001
    assert "has no end marker" in caplog.text
    ssh_config.add_entry(SSHEntry("b", 40002, Path("/k")))
    text = path.read_text()
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert text.endswith(USER_CONFIG)
    assert ssh_config.remove_entry("a") and ssh_config.remove_entry("b")
    assert path.read_text() == USER_CONFIG


def test_two_blocks_are_merged_into_the_first(_isolated_ssh_config: Path):
    path = _isolated_ssh_config
    path.write_text(_block(SSHEntry("a", 1, Path("/k"))) + USER_CONFIG + _block(SSHEntry("b", 2, Path("/k"))))
    assert sorted(ssh_config.entries()) == ["a", "b"]
    ssh_config.add_entry(SSHEntry("c", 3, Path("/k")))
    text = path.read_text()
    assert text.count(BEGIN) == 1 and text.startswith(BEGIN) and text.endswith(USER_CONFIG)


def test_bytes_outside_the_block_are_kept_exactly(_isolated_ssh_config: Path):
    path = _isolated_ssh_config
    user = b"Host work\r\n  User me\r\n# caf\xe9 in latin-1\r\n  Port 2222"  # CRLF, no final newline
    path.write_bytes(user)
    ssh_config.add_entry(SSHEntry("a", 40001, Path("/k")))
    data = path.read_bytes()
    assert data.endswith(user)
    assert b"Host a.envd\r\n" in data  # the block follows the file's line endings
    assert ssh_config.remove_entry("a") is True
    assert path.read_bytes() == user


def test_nothing_is_created_unless_an_entry_is_added(tmp_path: Path, monkeypatch):
    path = tmp_path / "absent" / "config"
    monkeypatch.setenv("ENVBUILD_SSH_CONFIG", str(path))
    monkeypatch.setenv("ENVBUILD_CONFIG_DIR", str(tmp_path / "cfg"))
    assert ssh_config.entries() == {}
    assert ssh_config.remove_entry("a") is False
    assert not (tmp_path / "absent").exists() and not (tmp_path / "cfg").exists()


def test_removing_an_absent_name_leaves_the_file_untouched(_isolated_ssh_config: Path):
    path = _isolated_ssh_config
    path.write_text(USER_CONFIG)
    before = path.stat().st_mtime_ns, path.stat().st_ino
    assert ssh_config.remove_entry("a") is False
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before


def test_unwritable_config_is_an_error_naming_the_file(_isolated_ssh_config: Path):
    """As a user who may read but not write the file or its directory (root drops to nobody in a child)."""
    import multiprocessing

    path = _isolated_ssh_config
    path.write_text(USER_CONFIG)
    path.chmod(0o644)
    path.parent.chmod(0o755)
    for parent in path.parents:  # let nobody reach the file
        if str(parent).startswith("/tmp/"):
            parent.chmod(parent.stat().st_mode | 0o005)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_add_as_nobody, args=(str(path), queue))
    child.start()
    child.join(60)
    kind, message, hint = queue.get(timeout=5)
    assert kind == "EnvbuildError", message
    assert str(path.parent) in message and "Permission denied" in message
    assert "ENVBUILD_SSH_CONFIG" in hint
    assert path.read_text() == USER_CONFIG


def _add_as_nobody(path: str, queue) -> None:
    from envbuild.errors import EnvbuildError

    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)
    os.environ["ENVBUILD_SSH_CONFIG"] = path
    try:
        ssh_config.add_entry(SSHEntry("a", 1, Path("/k")))
        queue.put(("ok", "", ""))
    except EnvbuildError as err:
        queue.put(("EnvbuildError", err.message, err.hint or ""))
    except BaseException as err:
        queue.put((type(err).__name__, str(err), ""))


def test_config_that_is_a_directory_or_under_a_file_is_an_error(tmp_path: Path, monkeypatch):
    import pytest

    from envbuild.errors import EnvbuildError

    (tmp_path / "dir").mkdir()
    monkeypatch.setenv("ENVBUILD_SSH_CONFIG", str(tmp_path / "dir"))
    with pytest.raises(EnvbuildError, match="is a directory"):
        ssh_config.add_entry(SSHEntry("a", 1, Path("/k")))
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("ENVBUILD_SSH_CONFIG", str(tmp_path / "file" / "config"))
    with pytest.raises(EnvbuildError, match="cannot") as info:
        ssh_config.add_entry(SSHEntry("a", 1, Path("/k")))
    assert "ENVBUILD_SSH_CONFIG" in info.value.hint


def test_concurrent_writers_lose_no_entry(_isolated_ssh_config: Path):
    """Eight processes add and remove entries at once; the lock keeps every surviving entry."""
    import multiprocessing

    path = _isolated_ssh_config
    path.write_text(USER_CONFIG)
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_churn, args=(str(path), i)) for i in range(8)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    assert sorted(ssh_config.entries()) == [f"keep{i}" for i in range(8)]
    assert path.read_text().endswith(USER_CONFIG)


def _churn(path: str, index: int) -> None:
    os.environ["ENVBUILD_SSH_CONFIG"] = path
    for round_ in range(10):
        ssh_config.add_entry(SSHEntry(f"tmp{index}", 1000 + round_, Path("/k")))
        ssh_config.remove_entry(f"tmp{index}")
    ssh_config.add_entry(SSHEntry(f"keep{index}", 2000 + index, Path("/k")))
