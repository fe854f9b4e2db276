"""graph → LLB: the marshalled graph has the steps, mounts and metadata each build file node asks for."""

from __future__ import annotations

import json

import pytest

from envbuild.compile import BaseImageConfig, BuildTarget, compile_graph
from envbuild.compile.dump import dump_definition
from envbuild.compile.python import plan_python
from envbuild.compile.python_packages import distribution_name
from envbuild.compile.steps import CA_MOUNT_PATH, CA_SECRET_ID
from envbuild.compile.system_packages import LISTS_FRESH_MINUTES, LISTS_STAMP, installs
from envbuild.errors import EnvbuildError
from envbuild.graph import (
    Base,
    Config,
    Copy,
    EnvVar,
    Expose,
    Graph,
    Language,
    PackageInstall,
    Packages,
    Project,
    PythonPackageInstall,
    Run,
    Runtime,
)

PROJECT = Project(name="demo", dir="/tmp/demo")


def graph(**kw) -> Graph:
    kw.setdefault("base", Base(image="debian:bookworm", dev=False))
    return Graph(project=PROJECT, **kw)


def ops(g: Graph, **target) -> list[dict]:
    return dump_definition(compile_graph(g, target=BuildTarget(**target)).definition)


def execs(entries: list[dict]) -> list[dict]:
    return [e for e in entries if e["kind"] == "exec"]


def named(entries: list[dict], prefix: str) -> dict:
    found = [e for e in entries if e.get("description", {}).get("llb.customname", "").startswith(prefix)]
    assert found, f"no step named {prefix!r}"
    return found[0]


PY = graph(
    languages=(Language("python", "3.11"),),
    packages=Packages(
        apt=(PackageInstall(("git", "curl")),),
        python=(PythonPackageInstall(names=("six",)), PythonPackageInstall(names=("idna",))),
    ),
    runs=(Run(commands=("echo 'it''s' \"quoted\" $HOME",)),),
)


def test_run_commands_reach_bash_as_one_argument_quotes_and_all():
    step = named(ops(PY), "run: ")
    args = step["exec"]["meta"]["args"]
    assert args[:2] == ["bash", "-c"]
    assert args[2].endswith("echo 'it''s' \"quoted\" $HOME\n")


def test_ca_bundle_is_a_secret_mount_with_the_variables_tools_read():
    for step in execs(ops(PY, ca_bundle=True)):
        secret = [m for m in step["exec"]["mounts"] if m.get("mountType") == "SECRET"]
        assert secret and secret[0]["dest"] == CA_MOUNT_PATH and secret[0]["secretOpt"]["ID"] == CA_SECRET_ID
        env = step["exec"]["meta"]["env"]
        for var in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            assert f"{var}={CA_MOUNT_PATH}" in env
    assert not any(m.get("mountType") == "SECRET" for step in execs(ops(PY)) for m in step["exec"]["mounts"])


def test_proxy_reaches_every_step_outside_the_cache_key():
    proxy = (("HTTPS_PROXY", "http://proxy:3128"), ("https_proxy", "http://proxy:3128"))
    with_proxy = ops(PY, proxy=proxy)
    for step in execs(with_proxy):
        assert step["exec"]["meta"]["proxy_env"]["https_proxy"] == "http://proxy:3128"
        assert not any("PROXY" in e.upper() for e in step["exec"]["meta"].get("env", []))
    without = ops(PY)
    assert [e["digest"] for e in execs(with_proxy)] != [] and len(execs(with_proxy)) == len(execs(without))


def test_apt_caches_are_locked_and_scoped_per_environment_and_flavour():
    step = named(ops(PY), "apt-get install")
    caches = {m["dest"]: m["cacheOpt"] for m in step["exec"]["mounts"] if m.get("mountType") == "CACHE"}
    assert caches["/var/cache/apt"] == {"ID": "/var/cache/apt/demo-cpu", "sharing": "LOCKED"}
    assert caches["/var/lib/apt/lists"]["ID"] == "/var/lib/apt/lists/demo-cpu"


def ancestors(entries: list[dict], entry: dict) -> set[int]:
    """Indexes of every op `entry` reads from, directly or not (mount inputs included)."""
    by_index = {e["index"]: e for e in entries}
    seen: set[int] = set()
    todo = [int(i.split(":")[0].lstrip("#")) for i in entry["inputs"]]
    while todo:
        index = todo.pop()
        if index not in seen:
            seen.add(index)
            todo += [int(i.split(":")[0].lstrip("#")) for i in by_index[index]["inputs"]]
    return seen


def test_python_from_the_distribution_rides_in_the_single_apt_step_of_the_image():
    entries = ops(PY)
    apt = [
        e
        for e in execs(entries)
        if e["exec"]["meta"]["args"][2].count("apt-get")
        and "(not part" not in e["description"]["llb.customname"]
    ]
    assert len(apt) == 1
    assert "git curl python3; }" in apt[0]["exec"]["meta"]["args"][2]  # no python3-venv: uv makes the venv


def test_the_python_stage_does_not_wait_for_the_apt_step_and_only_its_environment_is_merged():
    """uv and the environment are made on a tool state of their own (base + python3 + pip), side by side
    with the apt step, so an apt change leaves them cached; the image gets the diff from that tool state to
    the environment (the prefix and the wrappers), not the tool's python3 or uv."""
    entries = ops(PY, merge_diff=True)
    apt = named(entries, "apt-get install git curl python3")
    env = named(entries, "[internal] create python environment /opt/conda/envs/envd")
    tool = named(entries, "[internal] python3 for uv")
    assert apt["index"] not in ancestors(entries, env)
    assert "--no-install-recommends python3 ca-certificates && (" in tool["exec"]["meta"]["args"][2]
    caches = {m["dest"]: m["cacheOpt"]["ID"] for m in tool["exec"]["mounts"] if m.get("mountType") == "CACHE"}
    assert caches["/var/cache/apt"] == "/var/cache/apt/envbuild-python-tool"  # never waits on the env's lock
    layer = named(entries, "[internal] python environment")
    fetch = named(entries, "[internal] fetch uv")
    assert layer["inputs"] == [f"#{fetch['index']}:0", f"#{env['index']}:0"]  # diff(tool, tool + env)
    merge = next(e for e in entries if e["kind"] == "merge")
    assert f"#{layer['index']}:0" in merge["inputs"]
    install = named(entries, "pip install six")
    assert merge["index"] in ancestors(entries, install)  # packages still come after the apt step


def test_the_tool_state_unpacks_pips_wheel_alone_and_trusts_the_ca_bundle_when_there_is_one():
    """pip's wheel comes without python3-pip-whl's dependency on the distribution's CA store; that store is
    installed only when no CA bundle is passed (pip reads the bundle, PIP_CERT, when there is one)."""
    for ca_bundle, packages in ((False, "python3 ca-certificates"), (True, "python3")):
        script = named(ops(PY, ca_bundle=ca_bundle), "[internal] python3 for uv")["exec"]["meta"]["args"][2]
        assert f"--no-install-recommends {packages} && (" in script
        assert "download -qq python3-pip-whl && for deb in python3-pip-whl_*.deb; do dpkg-deb -x" in script
    fetch = named(ops(PY, ca_bundle=True), "[internal] fetch uv")
    assert "PIP_CERT=/run/secrets/envbuild-ca.crt" in fetch["exec"]["meta"]["env"]


def test_without_merge_support_the_environment_is_made_after_the_apt_step_with_the_same_uv():
    entries = ops(PY, merge_diff=False)
    apt = named(entries, "apt-get install git curl python3")
    env = named(entries, "[internal] create python environment /opt/conda/envs/envd")
    assert apt["index"] in ancestors(entries, env)
    assert named(entries, "[internal] fetch uv")["index"] in ancestors(entries, env)
    assert not [e for e in entries if e["kind"] in ("merge", "diff")]


def _environment_script(apt: tuple[str, ...], *, explicit: bool, merge_diff: bool = True) -> str:
    g = graph(
        languages=(Language("python", "3.11"),) if explicit else (),
        packages=Packages(apt=(PackageInstall(apt),), python=(PythonPackageInstall(names=("six",)),)),
    )
    return named(ops(g, merge_diff=merge_diff), "[internal] create python environment")["exec"]["meta"][
        "args"
    ][2]


@pytest.mark.parametrize("merge_diff", [True, False])
def test_without_install_python_the_environment_sees_the_distributions_packages_and_runs_its_pip(merge_diff):
    """envd runs the base image's Python when the file has no install.python(): apt's python3-* packages
    import, and `pip` is the distribution's. The environment keeps both, and carries no second pip."""
    script = _environment_script(("python3-pip=23.0.1+dfsg-1", "git"), explicit=False, merge_diff=merge_diff)
    assert "uv venv --quiet --system-site-packages --python /usr/bin/python3" in script
    assert "pip==" not in script
    assert "exec /opt/conda/envs/envd/bin/python -m pip" in script


def test_without_install_python_or_the_distributions_pip_the_environment_gets_its_own():
    script = _environment_script(("git",), explicit=False)
    assert "--system-site-packages" in script and "pip install --quiet" in script and "pip==" in script


def test_install_python_keeps_the_environment_apart_from_the_distribution_as_envds_conda_env():
    script = _environment_script(("python3-pip",), explicit=True)
    assert "--system-site-packages" not in script and "pip==" in script


@pytest.mark.parametrize(
    ("packages", "found"),
    [
        (("python3-pip",), True),
        (("git", "python3-pip=23.0.1+dfsg-1"), True),
        (("python3-pip/bookworm",), True),
        (("python3-pip:amd64",), True),
        (("python3-pip-whl", "python3-pipx"), False),
    ],
)
def test_apt_arguments_name_a_package_pinned_or_not(packages, found):
    assert installs(packages, "python3-pip") is found


def test_one_install_step_per_python_packages_call_in_call_order_with_uv_mounted_not_installed():
    entries = ops(PY)
    names = [e["description"]["llb.customname"] for e in execs(entries)]
    assert (
        names.index("pip install six")
        < names.index("pip install idna")
        < next(i for i, n in enumerate(names) if n.startswith("run: "))
    )
    step = named(entries, "pip install six")
    mounts = {m["dest"]: m for m in step["exec"]["mounts"]}
    assert mounts["/run/envbuild/uv"].get("readonly") is True
    assert mounts["/root/.cache/uv"]["cacheOpt"]["ID"] == "/root/.cache/uv/demo-cpu"


@pytest.mark.parametrize(
    ("image", "version", "source", "resolved"),
    [
        ("debian:bookworm", None, "apt", "3.11"),
        ("debian:bookworm", "3.11", "apt", "3.11"),
        ("debian:bookworm", "3.12", "micromamba", "3.12"),
        ("docker.io/library/debian:trixie", "3", "apt", "3.13"),
        ("nvidia/cuda:12.1.1-cudnn8-devel-ubuntu22.04", None, "apt", "3.10"),
        ("python:3.11-slim", None, "micromamba", "3.11"),
    ],
)
def test_python_source_follows_the_base_distribution(image, version, source, resolved):
    plan = plan_python(image, version, conda=False)
    assert (plan.source, plan.version) == (source, resolved)


def test_unsupported_python_version_is_an_error():
    with pytest.raises(EnvbuildError, match="not supported"):
        plan_python("debian:bookworm", "2.7", conda=False)


GO_PY = graph(
    languages=(Language("python", "3.12"), Language("go", "1.22.5")),
    packages=Packages(apt=(PackageInstall(("git",)),)),
)


def test_independent_stages_are_merged_when_the_worker_can():
    entries = ops(GO_PY, merge_diff=True)
    merge = [e for e in entries if e["kind"] == "merge"]
    assert len(merge) == 1
    assert len([e for e in entries if e["kind"] == "diff"]) == 3  # apt, micromamba python, go


def test_without_merge_support_the_same_stages_run_in_sequence():
    entries = ops(GO_PY, merge_diff=False)
    assert not [e for e in entries if e["kind"] in ("merge", "diff")]
    names = [e.get("description", {}).get("llb.customname", "") for e in entries]
    assert any(n.startswith("apt-get install") for n in names) and "[internal] install go 1.22.5" in names


def test_non_dev_image_keeps_the_base_images_user_entrypoint_and_workdir():
    base = BaseImageConfig(
        env=("PATH=/opt/base/bin:/usr/bin", "BASE=1"),
        user="app",
        entrypoint=("/init",),
        cmd=("serve",),
        working_dir="/srv",
    )
    g = graph(
        languages=(Language("python"),),
        runtime=Runtime(environ=(EnvVar("MODE", "x"),), extra_path=("/extra",), expose=(Expose(8080),)),
    )
    config = compile_graph(g, target=BuildTarget(base_config=base)).image_config["config"]
    assert (config["User"], config["Entrypoint"], config["Cmd"], config["WorkingDir"]) == (
        "app",
        ["/init"],
        ["serve"],
        "/srv",
    )
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["PATH"] == (
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/extra:/opt/base/bin"
        ":/opt/conda/envs/envd/bin:/opt/conda/bin:/home/envd/.local/bin"
    )
    assert (env["BASE"], env["MODE"], env["LANG"]) == ("1", "x", "C.UTF-8")
    assert config["ExposedPorts"] == {"8080/tcp": {}}
    labels = config["Labels"]
    assert json.loads(labels["ai.envbuild.graph"])["project"]["name"] == "demo"
    assert json.loads(labels["ai.envbuild.graph"])["project"]["dir"] == "."  # not the host path /tmp/demo
    assert labels["ai.tensorchord.envd.syntax.version"] == "v1"


def test_config_entrypoint_replaces_the_base_one():
    g = graph(config=Config(entrypoint=("python", "app.py")))
    base = BaseImageConfig(entrypoint=("/init",), cmd=("serve",))
    config = compile_graph(g, target=BuildTarget(base_config=base)).image_config["config"]
    assert config["Entrypoint"] == ["python", "app.py"] and "Cmd" not in config


def test_io_copy_sends_only_the_copied_path_of_the_project():
    g = graph(copies=(Copy(source="./data/", target="/data"),))
    compiled = compile_graph(g, target=BuildTarget())
    assert compiled.local_dirs == {"context": "/tmp/demo"}
    source = [
        e
        for e in dump_definition(compiled.definition)
        if e["kind"] == "source" and e["source"]["identifier"] == "local://context"
    ][0]
    assert json.loads(source["source"]["attrs"]["local.includepattern"]) == ["data"]


def test_run_failure_points_at_its_build_file_line():
    from envbuild.graph import Location

    g = graph(runs=(Run(commands=("false",), location=Location("build.envd", 7, 5)),))
    definition = compile_graph(g, target=BuildTarget()).definition
    assert definition.Source.infos[0].filename == "build.envd"
    assert any(
        loc.ranges[0].start.line == 7
        for locs in definition.Source.locations.values()
        for loc in locs.locations
    )


def test_run_steps_work_in_the_envd_project_dir_and_mount_host_binds_the_project_there():
    g = graph(runs=(Run(commands=("ls",), mount_host=True),))
    step = named(ops(g), "run: ls")
    assert step["exec"]["meta"]["cwd"] == "/home/envd/demo"
    binds = [m for m in step["exec"]["mounts"] if m["dest"] == "/home/envd/demo"]
    assert binds and binds[0].get("mountType", "BIND") == "BIND"


def _makes_run_dir(g: Graph, **target) -> bool:
    names = [e.get("description", {}).get("llb.customname", "") for e in ops(g, **target)]
    return "[internal] create work dir /home/envd/demo" in names


def test_the_first_run_step_makes_its_directory_when_buildkit_makes_it_as_our_mkdir_would():
    """BuildKit creates a missing working directory 0755 and root's: for root's steps in a non-dev image
    that is the mkdir, so it is left out (a step and a layer fewer)."""
    plain = graph(runs=(Run(commands=("ls",)),))
    assert not _makes_run_dir(plain)
    assert named(ops(plain), "run: ls")["exec"]["meta"]["cwd"] == "/home/envd/demo"
    mounted = graph(runs=(Run(commands=("ls",), mount_host=True),))
    assert _makes_run_dir(mounted)  # a mount point, which BuildKit removes after the step
    assert _makes_run_dir(plain, base_config=BaseImageConfig(user="1000"))  # containerd's worker: the user's
    assert not _makes_run_dir(plain, base_config=BaseImageConfig(user="root"))
    from envbuild.compile.horust import HorustSource

    dev = graph(base=Base(image="debian:bookworm", dev=True), runs=(Run(commands=("ls",)),))
    horust = HorustSource(kind="image", ref="horust:1", path="/sbin/horust")
    assert _makes_run_dir(dev, horust=horust)  # the dev user's directory


def test_a_requirements_step_sends_only_the_files_it_names(tmp_path):
    from envbuild.compile.sources import requirements_includes

    (tmp_path / "reqs").mkdir()
    (tmp_path / "reqs" / "main.txt").write_text("six  # pinned below\n-r more.txt\n-c ../constraints.txt\n")
    (tmp_path / "reqs" / "more.txt").write_text("idna\n")
    (tmp_path / "constraints.txt").write_text("idna<4\n")
    assert requirements_includes(str(tmp_path), "reqs/main.txt") == (
        "reqs/main.txt",
        "constraints.txt",
        "reqs/more.txt",
    )
    (tmp_path / "local.txt").write_text("-e .\n")
    assert requirements_includes(str(tmp_path), "local.txt") == ()  # the whole project
    assert requirements_includes(str(tmp_path), "missing.txt") == ()


@pytest.mark.parametrize(
    ("image", "release"), [("ubuntu:22.04", "ubuntu22.04"), ("docker.io/library/ubuntu:focal", "ubuntu20.04")]
)
def test_cuda_base_keeps_the_ubuntu_release_of_the_base_image(image, release):
    """envd swaps in nvidia/cuda for install.cuda but keeps the user's Ubuntu release; so do we."""
    from envbuild.compile.pipeline import base_ref
    from envbuild.graph import Cuda

    ref = base_ref(graph(base=Base(image=image, dev=False), cuda=Cuda(version="11.8.0", cudnn="8")))
    assert ref.startswith("docker.io/nvidia/cuda:11.8.0-cudnn8-") and ref.endswith(release), ref


def test_compiling_reads_nothing_from_the_environment(monkeypatch, tmp_path):
    """The same graph and target give the same bytes whatever the environment says about Horust, proxies or
    CA bundles: the builder decides those and hands them in."""
    from envbuild.compile.horust import HorustSource
    from envbuild.graph import Base

    dev = graph(base=Base(image="docker.io/library/debian:bookworm", dev=True))
    target = BuildTarget(horust=HorustSource(kind="image", ref="horust:1", path="/sbin/horust"))
    before = compile_graph(dev, target=target).definition.SerializeToString()
    monkeypatch.setenv("ENVBUILD_HORUST", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("ENVBUILD_HORUST_SHA256", "sha256:" + "1" * 64)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    assert compile_graph(dev, target=target).definition.SerializeToString() == before


@pytest.mark.parametrize(
    ("requirement", "name"),
    [("torch==2.5.1", "torch"), ("Torch[cuda]>=2", "torch"), ("jax_lib", "jax-lib"), ("six", "six")],
)
def test_distribution_names_are_normalised(requirement, name):
    assert distribution_name(requirement) == name


def test_heavy_packages_get_a_step_of_their_own_ahead_of_the_rest_of_their_call():
    """torch and its CUDA wheels are GBs: alone in a layer, a change to the small packages beside them
    re-runs and re-exports only the small layer. A call of heavy packages alone stays one step."""
    g = graph(
        languages=(Language("python", "3.11"),),
        packages=Packages(
            python=(
                PythonPackageInstall(names=("numpy", "torch==2.5.1")),
                PythonPackageInstall(names=("vllm",)),
            )
        ),
    )
    names = [e["description"]["llb.customname"] for e in execs(ops(g))]
    heavy = names.index("pip install torch==2.5.1 (a layer of its own)")
    assert heavy < names.index("pip install numpy torch==2.5.1") < names.index("pip install vllm")
    assert not any(n.startswith("pip install vllm (") for n in names)


def test_a_heavy_package_keeps_the_options_of_its_call_in_its_own_step():
    """envd users write `torch --index-url …` in the names: the heavy step gets that index too."""
    g = graph(
        languages=(Language("python", "3.11"),),
        packages=Packages(
            python=(
                PythonPackageInstall(names=("torch==2.5.1 --index-url https://wheels.test/cu124", "six")),
            )
        ),
    )
    scripts = [e["exec"]["meta"]["args"][2] for e in execs(ops(g))]
    heavy = next(s for s in scripts if "torch==2.5.1" in s and "six" not in s)
    assert "--index-url https://wheels.test/cu124" in heavy


def test_apt_steps_skip_dpkgs_fsync():
    """A build step's snapshot is committed whole or not at all, so dpkg's per-file fsync buys nothing."""
    for step in execs(ops(PY)):
        if "apt-get" in step["exec"]["meta"]["args"][2]:
            assert "Dpkg::Options::=--force-unsafe-io" in step["exec"]["meta"]["args"][2]


def test_apt_steps_reuse_fresh_lists_unless_the_build_ignores_its_cache():
    """The decision is the script's, at run time (the stamp lives in the lists' cache mount); `--no-cache`
    compiles a script that always updates."""
    script = named(ops(PY), "apt-get install")["exec"]["meta"]["args"][2]
    assert f"-mmin -{LISTS_FRESH_MINUTES}" in script and LISTS_STAMP in script
    fresh = named(ops(PY, no_cache=True), "apt-get install")["exec"]["meta"]["args"][2]
    assert "-mmin" not in fresh and "update; install" in fresh
    from envbuild.compile.horust import HorustSource

    dev = graph(base=Base(image="debian:bookworm", dev=True))
    horust = HorustSource(kind="image", ref="horust:1", path="/sbin/horust")
    for no_cache in (False, True):
        scripts = [e["exec"]["meta"]["args"][2] for e in execs(ops(dev, no_cache=no_cache, horust=horust))]
        apt = [script for script in scripts if "apt-get" in script]
        assert apt and all(("-mmin" in script) is not no_cache for script in apt)  # the dev tools' step too
