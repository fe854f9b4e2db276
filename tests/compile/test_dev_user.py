"""The dev user script, run for real in the local base image against the states base images come in.

No apt and no BuildKit: `useradd`/`usermod` are in every Debian/Ubuntu base, so each case is one short
`docker run` of the exact script the dev layer runs.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from envbuild.compile.dev import user

pytestmark = pytest.mark.docker

BASE = "docker.io/library/debian:bookworm"


def run(setup: str, uid: int, gid: int) -> str:
    """Run `setup`, then the dev user script, then print what a test checks."""
    script = (
        "set -euo pipefail\n" + setup + "\n" + user.create_user_script(uid, gid, "bash")
        + "id envd; getent passwd envd | cut -d: -f6,7; stat -c '%u:%g %a' /home/envd;"
        " cat /etc/sudoers.d/envd; getent shadow envd | cut -d: -f2\n"
    )
    out = subprocess.run(["docker", "run", "--rm", BASE, "bash", "-c", script], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_fresh_base_gets_envd_with_the_owner_ids():
    out = run("", 1234, 2345)
    assert "uid=1234(envd) gid=2345(envd)" in out
    assert "/home/envd:/bin/bash" in out and "1234:2345 755" in out
    assert "envd ALL=(ALL:ALL) NOPASSWD: ALL" in out
    assert out.rstrip().endswith("*")  # not locked ('!'), no usable password


def test_an_existing_user_with_the_uid_is_renamed():
    """ubuntu:24.04 ships `ubuntu` as 1000:1000."""
    out = run("groupadd -g 1000 ubuntu && useradd -m -u 1000 -g 1000 ubuntu && touch /home/ubuntu/keep",
              1000, 1000)
    assert "uid=1000(envd) gid=1000(ubuntu)" in out
    assert "/home/envd:/bin/bash" in out


def test_a_system_group_with_the_gid_is_used_not_renamed():
    out = run("", 1500, 100)
    assert "uid=1500(envd) gid=100(users)" in out


def test_root_owner_makes_envd_another_name_for_root():
    out = run("", 0, 0)
    assert "uid=0(root) gid=0(root)" in out
    assert "/home/envd:/bin/bash" in out


@pytest.mark.slow
def test_prompts_load_in_bash_zsh_and_fish():
    """The rc snippets are valid for each shell and show the environment (zsh and fish from the mirror)."""
    setup = (
        "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq >/dev/null; "
        "apt-get install -y -qq --no-install-recommends zsh fish >/dev/null 2>&1"
    )
    checks = (
        user.prompt_script("demo", "zsh", 1234, 1234)
        + user.prompt_script("demo", "fish", 1234, 1234)
        + "cd /home/envd\n"
        + "runuser -u envd -- env HOME=/home/envd bash -ic 'echo \"bash:$PS1\"' 2>/dev/null\n"
        + "runuser -u envd -- env HOME=/home/envd zsh -ic 'print -P \"zsh:$PROMPT\"' 2>/dev/null\n"
        + "runuser -u envd -- env HOME=/home/envd USER=envd fish -c 'echo fish:(fish_prompt)'\n"
    )
    script = (
        "set -euo pipefail\n" + setup + "\n" + user.create_user_script(1234, 1234, "bash")
        + user.prompt_script("demo", "bash", 1234, 1234) + checks
    )
    out = subprocess.run(["docker", "run", "--rm", BASE, "bash", "-c", script], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    plain = re.sub(r"\x1b(\[[0-9;]*m|\(B)", "", out.stdout)
    lines = {line.split(":", 1)[0]: line for line in plain.splitlines() if ":" in line}
    assert "(envd:${ENVD_ENV})" in lines["bash"]
    assert lines["zsh"].startswith("zsh:(envd:demo) envd@")
    assert lines["fish"].startswith("fish:(envd:demo) envd@")


@pytest.mark.parametrize(("uid", "gid"), [(1234, 2345), (0, 0)])
def test_a_login_shell_opens_in_the_project_with_the_prompt(uid, gid):
    """As `ssh <env>.envd` starts it: a login shell (reads ~/.profile) for every owner, root included, lands
    in /home/envd/<env> (envd opens in the project) with envbuild's prompt (issue 13)."""
    script = (
        "set -euo pipefail\n"
        + user.create_user_script(uid, gid, "bash")
        + user.prompt_script("demo", "bash", uid, gid)
        + "mkdir -p /home/envd/demo\n"
        + "cd /home/envd && runuser -u envd -- env -i HOME=/home/envd TERM=dumb bash -lic "
        "'echo \"pwd:$PWD\"; echo \"ps1:$PS1\"' 2>/dev/null\n"
        + "cd /home/envd && runuser -u envd -- env -i HOME=/home/envd bash -lc 'echo \"batch:$PWD\"'\n"
    )
    out = subprocess.run(["docker", "run", "--rm", BASE, "bash", "-c", script], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(":", 1) for line in out.stdout.splitlines() if ":" in line)
    assert lines["pwd"] == "/home/envd/demo"
    assert "(envd:${ENVD_ENV})" in lines["ps1"]
    assert lines["batch"] == "/home/envd"  # a command run through ssh stays where it was started
