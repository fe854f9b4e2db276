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
