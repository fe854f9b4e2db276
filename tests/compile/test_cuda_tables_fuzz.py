"""Fuzz of the CUDA / PyTorch / vLLM tables through real build files: whatever an envd user asks for
(versions that exist, that almost exist, that do not parse; any cuDNN; any base image; pins, bare names, pip
options), compiling either works or fails with an EnvbuildError located at the build file, and every refusal
from the tables has a hint that names what exists. Never another exception, never an unrendered location.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from envbuild.compile import BuildTarget, compile_graph
from envbuild.compile.cuda import load_table
from envbuild.compile.horust import HorustSource
from envbuild.errors import EnvbuildError
from envbuild.lang import evaluate

CUDA = sorted({r["cuda"] for r in load_table("cuda_images")["images"]})
TORCH = sorted({r["torch"] for r in load_table("pytorch")["releases"]})
VLLM = sorted({r["vllm"] for r in load_table("vllm")["releases"]})
TARGET = BuildTarget(
    ca_bundle=True, uid=1000, gid=1000, horust=HorustSource(kind="image", ref="horust:1", path="/sbin/horust")
)


def _near(versions: list[str]) -> st.SearchStrategy[str]:
    """A version from the table, a prefix of one, or one with its last part changed."""
    exact = st.sampled_from(versions)
    prefix = exact.map(lambda v: ".".join(v.split(".")[:-1]) or v)
    bumped = st.tuples(exact, st.integers(0, 12)).map(lambda t: ".".join([*t[0].split(".")[:-1], str(t[1])]))
    return st.one_of(exact, prefix, bumped, st.from_regex(r"\A[0-9]{1,2}(\.[0-9]{1,2}){0,2}\Z"))


cuda_versions = _near(CUDA)
cudnn = st.sampled_from(["", "7", "8", "9", "cudnn9", "10", None])
images = st.sampled_from(
    ["ubuntu:16.04", "ubuntu:18.04", "ubuntu:20.04", "ubuntu:22.04", "ubuntu:24.04", "ubuntu:jammy",
     "debian:bookworm", None]
)
packages = st.lists(
    st.one_of(
        _near(TORCH).map(lambda v: f"torch=={v}"),
        _near(VLLM).map(lambda v: f"vllm=={v}"),
        st.sampled_from(["torch", "vllm", "numpy", "torch --index-url https://download.pytorch.org/whl/cpu",
                         "torch>=2.1", "vllm==0.8.5 --pre", "torch==2.5.1+cu124"]),
    ),
    max_size=3,
)


def _build_file(cuda: str, cudnn_: str | None, image: str | None, dev: bool, names: list[str]) -> str:
    base = f'base(image="{image}", dev={dev})' if image else f"base(dev={dev})"
    cudnn_arg = "" if cudnn_ is None else f', cudnn="{cudnn_}"'
    lines = [base, "install.python()", f'install.cuda(version="{cuda}"{cudnn_arg})']
    if names:
        lines.append(f"install.python_packages(name={names!r})")
    return "def build():\n" + "".join(f"    {line}\n" for line in lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuda=cuda_versions, cudnn_=cudnn, image=images, dev=st.booleans(), names=packages)
def test_tables_give_a_located_error_with_a_hint_or_a_build(tmp_path_factory, cuda, cudnn_, image, dev,
                                                            names):
    project = tmp_path_factory.mktemp("fuzz")
    text = _build_file(cuda, cudnn_, image, dev, names)
    (project / "build.envd").write_text(text)
    try:
        graph = evaluate(project / "build.envd", project_dir=project)
    except EnvbuildError as err:  # the builtin's own argument check: located, like every evaluation error
        assert err.location is not None and err.location.file.endswith("build.envd"), err.render()
        event("refused by the builtin's argument check")
        return
    try:
        compiled = compile_graph(graph, target=TARGET)
    except EnvbuildError as err:
        assert err.location is not None, err.render()
        assert err.location.file.endswith("build.envd") and err.location.line == 4, err.render()
        assert err.location.source_line.strip().startswith("install.cuda("), err.render()
        assert err.hint, f"refusal without a hint: {err.render()}"
        rendered = err.render()
        assert rendered.startswith(f"{err.location}: error: ") and "\nhint: " in rendered
        event("refused by the tables")
        return
    assert compiled.base_ref.startswith("docker.io/nvidia/cuda:")
    event("compiled")


def test_a_refusal_is_rendered_by_the_cli_without_a_traceback(tmp_path: Path):
    """The path a user takes: `envbuild debug llb` on a file the tables refuse (CUDA 11.2 has no Ubuntu
    22.04 image), exit 1, the located error and its hint, no Python traceback."""
    (tmp_path / "build.envd").write_text(
        'def build():\n    base(dev=False)\n    install.cuda(version="11.2.2", cudnn="8")\n'
        '    install.python_packages(name=["torch --extra-index-url https://download.pytorch.org/whl/cu113"])\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "envbuild.cli", "debug", "llb", "-p", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "build.envd:3:5: error: CUDA 11.2.2 has no image on Ubuntu 22.04" in result.stderr
    assert "hint: images exist for CUDA 11.2.2: Ubuntu 16.04, 18.04, 20.04" in result.stderr
