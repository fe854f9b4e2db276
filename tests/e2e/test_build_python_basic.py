"""examples/python-basic built for real on the local dockerd, and rebuilt the ways users rebuild it.

One cold build (apt + Python from apt + pip packages + a run step), then cheap rebuilds that reuse its cache:
unchanged (everything cached), one more package (only what follows re-runs), merged vs sequential stages
(same files), pushed to the local registry and pulled back, and written as tarballs and a directory.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from envbuild.builder import BuildOptions, build
from envbuild.builder.outputs import parse_output
from envbuild.lang import evaluate
from tests.support.mirror import debian_mirror, release_gpg_url

pytestmark = [pytest.mark.docker, pytest.mark.slow]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REGISTRY = "127.0.0.1:5000"
ADDRESS = "moby-worker://"
# The Debian mirror is reachable over plain HTTP from build steps here; the file is small and always there.
HTTP_FILE = release_gpg_url()
VOLATILE = ("var/log/", "var/cache/", "var/lib/dpkg/info/", "etc/ld.so.cache", "root/.cache/", "tmp/")


def docker(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


def run_in(image: str, script: str) -> str:
    return docker("run", "--rm", image, "bash", "-c", script).stdout


def llb_digests(result) -> set[str]:
    from envbuild.llb import digest_of

    return {digest_of(op) for op in getattr(result.compiled.definition, "def")}


def steps_of(result) -> list:
    """The status-stream records of this build's own LLB vertexes (exporting is not a vertex of ours)."""
    ours = llb_digests(result)
    return [s for s in result.steps if s.digest in ours]


@pytest.fixture(scope="module")
def token() -> str:
    return secrets.token_hex(4)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the example (same directory name, so the same cache scope), free to edit."""
    root = tmp_path_factory.mktemp("e2e") / "python-basic"
    shutil.copytree(EXAMPLES / "python-basic", root)
    return root


@pytest.fixture(scope="module")
def images(token):
    made: list[str] = []
    yield made
    for name in made:
        docker("rmi", "-f", name, check=False)


def build_project(project: Path, tag: str, images: list[str], **options):
    graph = evaluate(project / "build.envd", project_dir=project)
    outputs = options.pop("outputs", None)
    specs = tuple(parse_output(o, default_name=tag) for o in outputs) if outputs else ()
    result = build(graph, BuildOptions(address=ADDRESS, tag=tag, outputs=specs, **options))
    images.append(tag)
    return result


@pytest.fixture(scope="module")
def first(project, images, token):
    return build_project(project, f"docker.io/library/envbuild-test-pybasic:{token}", images)


def test_the_image_has_the_apt_and_pip_packages_and_runs_the_run_step(first):
    out = run_in(
        first.name,
        "dpkg -s git curl | grep -c '^Status: install ok installed'; "
        "python -c 'import six, idna; print(\"py-ok\", six.__version__)'; command -v python; "
        "pip --version; "
        "ls /opt/conda/envs/envd/lib/python3*/site-packages/pip/_vendor/distlib/ | grep -c exe$ || true",
    )
    lines = out.split()
    assert lines[0] == "2"
    assert "py-ok" in out
    assert "/usr/local/bin/python" in out
    assert "from /opt/conda/envs/envd/lib/python3" in out  # the environment's own pip
    assert lines[-1] == "0"  # without its Windows launchers
    ran = [s.name for s in steps_of(first)]
    assert any(name.startswith("run: python3 -c") for name in ran)


def test_labels_hold_the_graph_and_envd_compatible_fields(first):
    labels = json.loads(docker("inspect", first.name, "--format", "{{json .Config.Labels}}").stdout)
    graph = json.loads(labels["ai.envbuild.graph"])
    assert graph["project"]["name"] == "python-basic"
    assert json.loads(labels["ai.tensorchord.envd.apt.packages"]) == ["git", "curl"]
    assert json.loads(labels["ai.tensorchord.envd.pypi.commands"]) == ["six", "idna"]
    config = json.loads(docker("inspect", first.name, "--format", "{{json .Config}}").stdout)
    assert config["Cmd"] == ["bash"]  # the base image's, kept for a non-dev image
    path = next(e for e in config["Env"] if e.startswith("PATH="))
    assert path.startswith("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")


def test_the_ca_bundle_reached_the_steps_but_no_layer(first):
    """pip reached PyPI through the intercepting proxy (the packages are there), yet neither the secret's
    mount point nor the host's extra CAs are in the image."""
    host_cas = sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))
    marker = host_cas[0].read_text().strip().splitlines()[1] if host_cas else "no-host-ca"
    out = run_in(
        first.name,
        f"test -e /run/secrets/envbuild-ca.crt && echo LEAK; "
        f"grep -rlF '{marker}' /etc /usr/local /opt 2>/dev/null | head -1; echo done",
    )
    assert out.strip() == "done"


def test_a_second_build_of_an_unchanged_file_is_entirely_cached(project, images, first, token):
    """Every step (exec, file, merge, diff) comes from the cache. The base image source is exempt: BuildKit
    reports it as re-resolved rather than cached when its own cache record for the source was released,
    which costs a metadata lookup in the local store, not a download."""
    again = build_project(project, f"docker.io/library/envbuild-test-pybasic:{token}", images)
    steps = steps_of(again)
    assert len(steps) == len(llb_digests(again)) - 1  # every op but the terminal one was reported
    assert [s.name for s in steps if not s.cached and not s.name.startswith("docker-image://")] == []


def test_one_more_package_reruns_only_what_follows(project, images, first, token):
    """The added requirement carries a no-op exclusion unique to this run, so BuildKit's cache from an earlier
    test run cannot already hold the changed step."""
    package = f"packaging!=0.0.{int(token, 16)}"
    text = (project / "build.envd").read_text()
    more = text.replace('name=["six", "idna"]', f'name=["six", "idna", "{package}"]')
    (project / "build.envd").write_text(more)
    changed = build_project(project, f"docker.io/library/envbuild-test-pybasic:{token}-more", images)
    ran = [s for s in steps_of(changed) if not s.cached and not s.name.startswith("docker-image://")]
    order = {entry["digest"]: entry["index"] for entry in _kinds(changed)}
    pip = next(s for s in ran if s.name == f"pip install six idna {package}")
    assert all(order[s.digest] >= order[pip.digest] for s in ran), [s.name for s in ran]
    assert any(s.name.startswith("run: ") for s in ran)
    # uv says how many packages it had to fetch ("Prepared N packages"); six and idna come from its cache
    prepared = re.search(r"Prepared (\d+) packages?", pip.log)
    assert "Installed 3 packages" in pip.log, pip.log
    assert prepared is None or int(prepared.group(1)) <= 1, pip.log
    assert not any(
        s.name.startswith(
            ("apt-get", "[internal] create python", "[internal] fetch uv", "[internal] python3")
        )
        for s in ran
    )
    assert "ok" in run_in(changed.name, "python -c 'import packaging; print(\"ok\")'")


@pytest.fixture(scope="module")
def own_scope(tmp_path_factory, token) -> Path:
    """python-basic with an apt source of its own (the machine's mirror, plus a comment naming this run), so
    its apt step is new to BuildKit and really runs, whatever the cache holds from earlier test runs. A
    project name of its own is not enough: BuildKit leaves cache mount ids out of a step's cache key."""
    root = tmp_path_factory.mktemp("e2e-apt") / f"pybasic-apt-{token}"
    shutil.copytree(EXAMPLES / "python-basic", root)
    source = f"deb {debian_mirror()} bookworm main\\n# envbuild test run {token}"
    text = (root / "build.envd").read_text()
    line = f'    config.apt_source(source="{source}")\n'
    (root / "build.envd").write_text(text.replace("    install.python(", line + "    install.python(", 1))
    return root


def test_an_apt_change_reruns_the_apt_step_but_not_the_python_stage(own_scope, images, token):
    """uv and the environment are built beside the apt step, not on it: adding an apt package re-runs the
    apt step and what follows the join, while the status stream reports the Python stage as cached."""
    build_project(own_scope, f"docker.io/library/envbuild-test-pyapt:{token}", images)
    text = (own_scope / "build.envd").read_text()
    (own_scope / "build.envd").write_text(text.replace('name=["git", "curl"]', 'name=["git", "curl", "jq"]'))
    changed = build_project(own_scope, f"docker.io/library/envbuild-test-pyapt:{token}-jq", images)
    steps = steps_of(changed)

    def step(prefix: str):
        found = [s for s in steps if s.name.startswith(prefix)]
        assert found, (prefix, [s.name for s in steps])
        return found[0]

    assert not step("apt-get install git curl jq python3").cached
    python_stage = (
        "[internal] python3 for uv",
        "[internal] fetch uv",
        "[internal] create python environment",
    )
    for prefix in python_stage:
        assert step(prefix).cached, prefix
    assert not step("pip install six idna").cached  # after the join, as in envd's order
    out = run_in(changed.name, "jq --version; python -c 'import six, idna; print(\"py-ok\")'; pip --version")
    assert "jq-" in out and "py-ok" in out and "/opt/conda/envs/envd/" in out


@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> Path:
    """python-basic plus io.copy and io.http: two stages that are merged when the worker can."""
    root = tmp_path_factory.mktemp("e2e-merge") / "python-basic"
    shutil.copytree(EXAMPLES / "python-basic", root)
    (root / "data").mkdir()
    (root / "data" / "hello.txt").write_text("hello\n")
    text = (root / "build.envd").read_text()
    extra = (
        f'    io.http(url="{HTTP_FILE}", filename="Release.gpg")\n'
        '    io.copy(source="data", target="/srv/data")\n'
    )
    (root / "build.envd").write_text(text.replace("    run(commands=", extra + "    run(commands=", 1))
    return root


def _files(tarball: Path) -> dict[str, tuple]:
    out = {}
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            name = member.name.lstrip("./")
            if name.startswith(VOLATILE) or "/__pycache__/" in name:
                # bytecode that `run()` steps leave behind embeds its source's mtime, which differs between
                # two builds that installed the same package at different times
                continue
            digest = ""
            if member.isfile():
                digest = hashlib.sha256(tar.extractfile(member).read()).hexdigest()
            out[name] = (member.type, member.mode, member.uid, member.gid, member.linkname, digest)
    return out


def test_merged_and_sequential_stages_give_the_same_files(staged, images, tmp_path, token):
    merged = build_project(
        staged,
        "envbuild-test-unused:1",
        [],
        merge_diff=True,
        outputs=[f"type=tar,dest={tmp_path / 'merged.tar'}"],
    )
    sequential = build_project(
        staged,
        "envbuild-test-unused:1",
        [],
        merge_diff=False,
        outputs=[f"type=tar,dest={tmp_path / 'sequential.tar'}"],
    )
    kinds = {e.get("kind") for e in _kinds(merged)}
    assert "merge" in kinds and "merge" not in {e.get("kind") for e in _kinds(sequential)}
    a, b = _files(tmp_path / "merged.tar"), _files(tmp_path / "sequential.tar")
    assert "srv/data/hello.txt" in a and "home/envd/extra_source/Release.gpg" in a
    assert sorted(set(a) ^ set(b)) == []
    assert {k: v for k, v in a.items() if b[k] != v} == {}


def _kinds(result) -> list[dict]:
    from envbuild.compile.dump import dump_definition

    return dump_definition(result.compiled.definition)


def test_push_to_the_local_registry_and_pull_back(project, images, first, token):
    name = f"{REGISTRY}/envbuild-test/pybasic:{token}"
    build_project(project, name, images, outputs=[f"type=image,name={name},push=true"])
    docker("rmi", "-f", name)
    docker("pull", name)
    assert "ok" in run_in(name, "python -c 'import six; print(\"ok\")'")


def test_tarball_and_directory_outputs(project, first, tmp_path, token):
    name = f"docker.io/library/envbuild-test-pybasic:{token}-tar"
    build_project(project, name, [], outputs=[f"type=docker,dest={tmp_path / 'docker.tar'}"])
    build_project(project, name, [], outputs=[f"type=oci,dest={tmp_path / 'oci.tar'}"])
    build_project(project, name, [], outputs=[f"type=local,dest={tmp_path / 'rootfs'}"])
    with tarfile.open(tmp_path / "docker.tar") as tar:
        assert "manifest.json" in tar.getnames()
    with tarfile.open(tmp_path / "oci.tar") as tar:
        assert "index.json" in tar.getnames()
    assert (tmp_path / "rootfs" / "usr" / "bin" / "git").is_file()
