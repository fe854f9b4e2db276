"""envd behaviours that need a real build to be believed.

* The downloads of install.vscode_extensions, install.pixi and install.codex, each served from this machine
  the way its real host serves it (Open VSX's API and a `.vsix`; GitHub release tarballs), built by the
  compile functions the pipeline uses, with only the base URL changed: the extension unpacked under envd's
  directory name and owned by the dev user, the binaries in /usr/bin, pixi's config written.
* The dev layer's ownership step gives the user the files a root step left in a tree the user owns.
* io.copy through the whole pipeline: a directory copied onto a new target becomes it, onto an existing
  directory it nests (envd's copy), and a single file lands inside an existing directory.
"""

from __future__ import annotations

import io
import secrets
import subprocess
import tarfile
from pathlib import Path

import pytest

from envbuild import llb
from envbuild.builder import BuildOptions, build
from envbuild.buildkit import connect
from envbuild.buildkit.exports import Export
from envbuild.buildkit.options import SolveOptions
from envbuild.compile import agents, languages
from envbuild.compile.dev import user, vscode
from envbuild.compile.steps import StepEnv
from envbuild.compile.system_packages import install_apt_packages
from envbuild.graph import VSCodeExtension
from envbuild.lang import evaluate
from tests.support.served import open_vsx, serve

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BASE = "docker.io/library/debian:bookworm"
OWNER = (1234, 1235)


def _release(root: Path, path: str, member: str, text: str) -> None:
    """A release tarball at `root/path` holding one executable `member`."""
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = text.encode()
        info = tarfile.TarInfo(member)
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
    target.write_bytes(buffer.getvalue())


def test_vscode_pixi_codex_downloads_and_user_ownership(tmp_path: Path):
    releases = tmp_path / "releases"
    _release(releases, f"prefix-dev/pixi/releases/download/v{languages.PIXI_RELEASE}/"
             "pixi-x86_64-unknown-linux-musl.tar.gz", "pixi", "#!/bin/sh\necho pixi stand-in\n")
    _release(releases, f"openai/codex/releases/download/{agents.CODEX_RELEASE}/"
             "codex-x86_64-unknown-linux-musl.tar.gz", "codex-x86_64-unknown-linux-musl",
             "#!/bin/sh\necho codex stand-in\n")
    marketplace = tmp_path / "openvsx"
    marketplace.mkdir()
    steps = StepEnv(scope="envbuild-test-envdcompat")
    platform = "linux/amd64"
    with serve(releases) as github, serve(marketplace, for_steps=True) as openvsx:
        open_vsx(marketplace, openvsx, "envbuild", "probe", "1.2.3", {"package.json": '{"name": "probe"}'})
        state = install_apt_packages(llb.image(BASE), ("curl", "unzip"), steps)
        extensions = (VSCodeExtension("envbuild", "probe", "1.2.3"), VSCodeExtension("envbuild", "probe"))
        state = vscode.install_extensions(state, extensions, platform=platform, owner=OWNER, steps=steps,
                                          marketplace=openvsx)
        state = languages.install_pixi(state, use_pixi_mirror=True, pypi_index="https://pypi.example/simple",
                                       platform=platform, owner=OWNER, releases=github)
        state = agents.install_codex(state, None, platform=platform, releases=github)
        # a tree the user owns, into which a root step then writes (as conda_packages / pip steps do)
        state = steps.sh(state, f"mkdir -p /opt/conda/pkgs && chown -R {OWNER[0]}:{OWNER[1]} /opt/conda\n"
                         "touch /opt/conda/owned && mkdir /opt/conda/lib && touch /opt/conda/lib/new\n",
                         name="root writes into the user's tree")
        state = steps.sh(state, user.own_script(("/opt/conda", "/does/not/exist"), *OWNER), name="own")
        result = llb.scratch()
        for path in ("/home/envd", "/usr/bin/pixi", "/usr/bin/codex", "/etc/pixi", "/opt"):
            result = result.copy(state, path, path, create_parents=True)
        out = tmp_path / "out.tar"
        with connect() as client:
            client.solve(result.marshal(platform=platform), SolveOptions(exports=[Export.tar(out)]))

    with tarfile.open(out) as tar:  # a tarball keeps owners as BuildKit made them
        files = {m.name.lstrip("./"): m for m in tar.getmembers()}
        text = {name: tar.extractfile(m).read().decode() for name, m in files.items() if m.isfile()}
    extensions_dir = "home/envd/.vscode-server/extensions"
    assert sorted(n.split("/")[4] for n in files if n.startswith(extensions_dir + "/")) == (
        ["envbuild.probe-1.2.3@linux-x64"] * 2 + ["envbuild.probe@linux-x64"] * 2
    )
    unpacked = f"{extensions_dir}/envbuild.probe-1.2.3@linux-x64/package.json"
    assert text[unpacked] == '{"name": "probe"}'
    for name in (unpacked, extensions_dir, "home/envd/.vscode-server"):
        assert (files[name].uid, files[name].gid) == OWNER, name
    assert text["usr/bin/pixi"].endswith("pixi stand-in\n") and files["usr/bin/pixi"].mode & 0o111
    assert text["usr/bin/codex"].endswith("codex stand-in\n") and files["usr/bin/codex"].mode & 0o111
    assert '"https://conda.anaconda.org" = ["https://prefix.dev/"]' in text["etc/pixi/config.toml"]
    assert files["etc/pixi/config.toml"].uid == OWNER[0]
    for name in ("opt/conda", "opt/conda/owned", "opt/conda/lib", "opt/conda/lib/new", "opt/conda/pkgs"):
        assert (files[name].uid, files[name].gid) == OWNER, name


def test_io_copy_nests_a_directory_into_an_existing_one(tmp_path: Path):
    project = tmp_path / "copyproj"
    (project / "data" / "sub").mkdir(parents=True)
    (project / "data" / "a.txt").write_text("a\n")
    (project / "data" / "sub" / "b.txt").write_text("b\n")
    (project / "note.txt").write_text("n\n")
    (project / "build.envd").write_text(
        "def build():\n"
        f'    base(image="{BASE}", dev=False)\n'
        '    io.copy(source="data", target="/opt/fresh")\n'  # a new target: the directory becomes it
        '    io.copy(source="data", target="/srv")\n'  # an existing directory: nested as /srv/data
        '    io.copy(source="note.txt", target="/etc")\n'  # a file onto a directory: inside it
        "    run(commands=[\n"
        '        "test -f /opt/fresh/a.txt && test -f /opt/fresh/sub/b.txt",\n'
        '        "test -f /srv/data/a.txt && test -f /srv/data/sub/b.txt && test ! -e /srv/a.txt",\n'
        '        "test -f /etc/note.txt",\n'
        "    ])\n"
    )
    graph = evaluate(project / "build.envd", project_dir=project)
    tag = f"docker.io/library/envbuild-test-envdcompat-copy:{secrets.token_hex(4)}"
    try:
        result = build(graph, BuildOptions(address="moby-worker://", tag=tag))
        assert result.name == tag
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


def test_without_install_python_apts_python_packages_import_and_its_pip_installs_into_the_environment(
    tmp_path: Path,
):
    """No install.python(): envd runs the base image's Python, so a `python3-yaml` from apt imports and `pip`
    is the distribution's. Here the environment sees the distribution's packages, runs its pip (and has none
    of its own), and what that pip installs in a `run()` step lands in the environment, not the system."""
    project = tmp_path / "systempy"
    project.mkdir()
    (project / "build.envd").write_text(
        "def build():\n"
        f'    base(image="{BASE}", dev=False)\n'
        '    install.apt_packages(name=["python3-pip", "python3-yaml"])\n'
        '    install.python_packages(name=["six"])\n'
        "    run(commands=[\n"
        '        "pip install --quiet idna",\n'
        "        \"python -c 'import yaml, six, idna; print(yaml.__file__, six.__file__, idna.__file__)'"
        ' > /opt/where",\n'
        '        "pip --version > /opt/pip",\n'
        '        "pwd > /opt/pwd",\n'
        "    ])\n"
    )
    graph = evaluate(project / "build.envd", project_dir=project)
    tag = f"docker.io/library/envbuild-test-envdcompat-systempy:{secrets.token_hex(4)}"
    try:
        build(graph, BuildOptions(address="moby-worker://", tag=tag))

        def read(command: str) -> str:
            run = ["docker", "run", "--rm", tag, "sh", "-c", command]
            return subprocess.run(run, capture_output=True, text=True, check=True).stdout

        env = "/opt/conda/envs/envd/lib/python3.11/site-packages"
        assert read("cat /opt/where").split() == [
            "/usr/lib/python3/dist-packages/yaml/__init__.py", f"{env}/six.py", f"{env}/idna/__init__.py"
        ]
        assert " from /usr/lib/python3/dist-packages/pip " in read("cat /opt/pip")
        assert "pip" not in read(f"ls {env}").split()  # no second pip
        # the run() directory, made by BuildKit for the first step, as envd's mkdir would make it
        assert read("stat -c '%n %a %U' $(cat /opt/pwd)").split() == ["/home/envd/systempy", "755", "root"]
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)
