"""What a build asks for that a lock can pin, read from the graph for one platform.

The same `Wants` serve `envbuild lock` (what to resolve) and every build with a lock (what to compare the
lock against), so both sides agree on what "the build file asks for" means. Python inputs are put in a
canonical text form (requirement lines, each requirements file or local wheel with its sha256, index
options) because that is what a user can read in a drift report.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from envbuild.compile import sources
from envbuild.compile.pip_args import package_sources, split_names
from envbuild.compile.pipeline import base_ref, gpu_stack_for, python_plan
from envbuild.errors import Location
from envbuild.graph import Graph

JUPYTER_PACKAGE = "jupyterlab"


@dataclass(frozen=True)
class PythonWants:
    """The Python packages of a build. `python` is the version the environment gets ("" when the base
    image's own Python is used, which envbuild cannot know without running it). `requirements` are the
    resolver's input lines (host paths absolute), `wheels` the local wheels (installed from the project,
    not from an index). `unlockable` says why these packages cannot be pinned by hash, when they cannot."""

    python: str
    inputs: tuple[str, ...]
    requirements: tuple[str, ...]
    wheels: tuple[str, ...]
    index_url: str | None
    extra_index_urls: tuple[str, ...]
    trusted_hosts: tuple[str, ...]
    location: Location | None
    unlockable: str | None = None
    find_links: tuple[str, ...] = ()
    prerelease: bool = False


@dataclass(frozen=True)
class Wants:
    platform: str
    base: str
    includes: tuple[tuple[str, str | None, str], ...]  # (url, ref, commit evaluated)
    downloads: tuple[tuple[str, str | None], ...]  # (url, checksum in the build file)
    python: PythonWants | None


def wants(graph: Graph, platform: str) -> Wants:
    return Wants(
        platform=platform,
        base=base_ref(graph),
        includes=tuple((i.url, i.ref, i.commit) for i in graph.includes),
        downloads=tuple((d.url, d.checksum) for d in graph.downloads),
        python=python_wants(graph),
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def python_wants(graph: Graph) -> PythonWants | None:
    """None when the build installs no Python packages (with pip or uv from an index)."""
    jupyter = graph.config.jupyter is not None and graph.base.dev
    calls = graph.packages.python
    if not calls and not jupyter:
        return None
    project = Path(graph.project.dir)
    inputs: list[str] = []
    requirements: list[str] = []
    wheels: list[str] = []
    unlockable: str | None = None
    if jupyter:
        inputs.append(JUPYTER_PACKAGE)
        requirements.append(JUPYTER_PACKAGE)
    split = [split_names(call.names, call.location) for call in calls]
    per_call = package_sources(split)
    if per_call.unsupported:
        unlockable = (
            f"pip option {', '.join(per_call.unsupported)} in install.python_packages() changes what one "
            "call installs, which a lock resolved for all calls at once cannot follow"
        )
    for call, args in zip(calls, split, strict=True):
        inputs += call.names
        requirements += args.requirements
        if call.requirements:
            inputs.append(f"-r {call.requirements}")
            requirements.append(f"-r {project / call.requirements}")
            files = sources.requirements_includes(graph.project.dir, call.requirements)
            if not files:
                unlockable = (
                    f"{call.requirements} installs from the project itself (-e, a path or file: URL), "
                    "which a lock cannot pin by hash"
                )
                files = (call.requirements,)
            inputs += [f"file {rel} {_sha256(project / rel)}" for rel in files]
        for wheel in call.local_wheels:
            inputs.append(f"wheel {wheel} {_sha256(project / wheel)}")
            wheels.append(str(project / wheel))
            requirements.append(str(project / wheel))
    index = graph.config.pip_index
    index_url = index.url if index is not None else None
    extra: list[str] = [index.extra_url] if index is not None and index.extra_url else []
    stack = gpu_stack_for(graph)
    if stack is not None and stack.extra_index_url:
        extra.append(stack.extra_index_url)
    extra += [u for u in per_call.extra_index_urls if u not in extra]
    trusted: tuple[str, ...] = per_call.trusted_hosts
    if index is not None and index.trust:
        trusted += tuple(h for h in (urlsplit(u).hostname for u in (index_url, *extra) if u) if h)
    if index_url:
        inputs.append(f"--index-url {index_url}")
    inputs += [f"--extra-index-url {u}" for u in extra]
    inputs += [f"--trusted-host {h}" for h in trusted]
    plan = python_plan(graph, base_ref(graph))
    if plan is None:
        unlockable = "the base image's own Python is used, and envbuild cannot tell its version"
    first = calls[0].location if calls else (graph.config.jupyter.location if graph.config.jupyter else None)
    return PythonWants(
        python=plan.version if plan is not None else "",
        inputs=tuple(inputs),
        requirements=tuple(requirements),
        wheels=tuple(wheels),
        index_url=index_url,
        extra_index_urls=tuple(extra),
        trusted_hosts=trusted,
        location=first,
        unlockable=unlockable,
        find_links=per_call.find_links,
        prerelease=per_call.prerelease,
    )
