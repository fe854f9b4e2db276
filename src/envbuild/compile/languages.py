"""`install.go/nodejs/rust/julia/r_lang`: the languages that are not Python.

envd downloads these with curl inside a helper image pulled from ghcr.io. Here the download is a BuildKit HTTP
source and the archive is unpacked by a copy op, so no helper image and no tool inside the base image is
needed, and each language is a self-contained tree under /usr/local or /opt that can be built side by side
with the apt step and merged. R comes from the distribution (`r-base`), so it rides in the apt step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from envbuild import llb
from envbuild.compile.steps import StepEnv

GO_DEFAULT = "1.25.3"
UV_RELEASE = "0.9.22"
UV_PYTHON_DIR = "/opt/uv/python"
UV_ENV = (
    ("UV_LINK_MODE", "copy"),
    ("UV_PYTHON_PREFERENCE", "only-managed"),
    ("UV_PYTHON_INSTALL_DIR", UV_PYTHON_DIR),
)
NODEJS_DEFAULT = "25.1.0"
PIXI_RELEASE = "0.62.2"  # envd 1.3.6's pin
PIXI_CONFIG = "/etc/pixi/config.toml"
GITHUB_RELEASES = "https://github.com"
JULIA_DEFAULT = "1.10.5"
CARGO_HOME = "/opt/rust"
R_SITE_LIBRARY = "/usr/local/lib/R/site-library"
JULIA_DEPOT = "/opt/julia/user_packages"


@dataclass(frozen=True)
class LanguageStage:
    """A language's own stage: what it adds to PATH/env, and the apt packages it needs from the apt step."""

    paths: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    apt: tuple[str, ...] = ()


STAGES = {
    "go": LanguageStage(paths=("/usr/local/go/bin",)),
    "nodejs": LanguageStage(paths=("/opt/nodejs/bin",)),
    "rust": LanguageStage(
        apt=("curl", "ca-certificates"),
        paths=("/opt/rust/bin",),
        env=(("CARGO_HOME", CARGO_HOME), ("RUSTUP_HOME", "/opt/rustup")),
    ),
    "julia": LanguageStage(paths=("/opt/julia/bin",)),
    "r": LanguageStage(apt=("r-base",)),
}


def release_arch(platform: str, amd64: str, arm64: str) -> str:
    return arm64 if platform.endswith("arm64") else amd64


def unpacked(url: str, filename: str) -> llb.State:
    """The archive at `url`, unpacked into an otherwise empty tree."""
    archive = llb.http(url, filename=filename)
    return llb.scratch().copy(
        archive, f"/{filename}", "/", unpack_archives=True, custom_name=f"[internal] unpack {filename}"
    )


def install_go(state: llb.State, version: str | None, platform: str) -> llb.State:
    version = version or GO_DEFAULT
    arch = release_arch(platform, "amd64", "arm64")
    tree = unpacked(f"https://go.dev/dl/go{version}.linux-{arch}.tar.gz", f"go{version}.tar.gz")
    return state.copy(
        tree,
        "/go",
        "/usr/local/go",
        dir_contents_only=True,
        create_parents=True,
        custom_name=f"[internal] install go {version}",
    )


def install_nodejs(state: llb.State, version: str | None, platform: str) -> llb.State:
    version = version or NODEJS_DEFAULT
    arch = release_arch(platform, "x64", "arm64")
    name = f"node-v{version}-linux-{arch}"
    tree = unpacked(f"https://nodejs.org/download/release/v{version}/{name}.tar.xz", f"{name}.tar.xz")
    return state.copy(
        tree,
        f"/{name}",
        "/opt/nodejs",
        dir_contents_only=True,
        create_parents=True,
        custom_name=f"[internal] install nodejs {version}",
    )


def install_julia(state: llb.State, version: str | None, platform: str) -> llb.State:
    version = version or JULIA_DEFAULT
    minor = ".".join(version.split(".")[:2])
    arch_dir, arch = ("aarch64", "aarch64") if platform.endswith("arm64") else ("x64", "x86_64")
    url = (
        f"https://julialang-s3.julialang.org/bin/linux/{arch_dir}/{minor}/julia-{version}-linux-{arch}.tar.gz"
    )
    tree = unpacked(url, f"julia-{version}.tar.gz")
    return state.copy(
        tree,
        f"/julia-{version}",
        "/opt/julia",
        dir_contents_only=True,
        create_parents=True,
        custom_name=f"[internal] install julia {version}",
    )


def install_rust(state: llb.State, version: str | None, steps: StepEnv) -> llb.State:
    """rustup-init from its HTTP source, run with CARGO_HOME at /opt/rust (needs curl-free network access to
    static.rust-lang.org from the step)."""
    init = llb.http("https://sh.rustup.rs", filename="rustup-init.sh")
    toolchain = f" --default-toolchain {version}" if version else ""
    return steps.sh(
        state,
        f"sh /run/envbuild/rustup/rustup-init.sh -y -q --no-modify-path{toolchain}\n",
        name="[internal] install rust" + (f" {version}" if version else ""),
        env=dict(STAGES["rust"].env),
        mounts=[llb.bind_mount("/run/envbuild/rustup", init, readonly=True)],
    )


def install_r_packages(
    state: llb.State, names: tuple[str, ...], mirror: str | None, steps: StepEnv
) -> llb.State:
    repo = mirror or "https://cran.rstudio.com"
    pkgs = ", ".join('"' + n.replace("\\", "\\\\").replace('"', '\\"') + '"' for n in names)
    expr = f'options(repos = "{repo}"); install.packages(c({pkgs}), lib = "{R_SITE_LIBRARY}")'
    return steps.exec(
        state, ["Rscript", "-e", expr], name="[internal] installing R packages: " + " ".join(names)
    )


def install_julia_packages(state: llb.State, names: tuple[str, ...], steps: StepEnv) -> llb.State:
    pkgs = ", ".join('"' + n.replace('"', '\\"') + '"' for n in names)
    return steps.exec(
        state,
        ["/opt/julia/bin/julia", "-e", f"using Pkg; Pkg.add([{pkgs}])"],
        name="[internal] installing Julia packages: " + " ".join(names),
        env={"JULIA_DEPOT_PATH": JULIA_DEPOT},
    )


def install_uv(state: llb.State, python_version: str, platform: str, steps: StepEnv) -> llb.State:
    """`install.uv(python_version=)`: uv's release binary in /usr/bin (as envd), then a uv-managed Python in
    a directory every user can read, so `uv sync` works for root and for the dev user alike."""
    arch = release_arch(platform, "x86_64", "aarch64")
    name = f"uv-{arch}-unknown-linux-gnu"
    tree = unpacked(
        f"https://github.com/astral-sh/uv/releases/download/{UV_RELEASE}/{name}.tar.gz", f"{name}.tar.gz"
    )
    for tool in ("uv", "uvx"):
        state = state.copy(
            tree, f"/{name}/{tool}", f"/usr/bin/{tool}", custom_name=f"[internal] install {tool}"
        )
    return steps.sh(
        state,
        f"uv python install {python_version}\nchmod -R a+rX {UV_PYTHON_DIR}\n",
        name=f"[internal] install uv Python={python_version}",
        env=dict(UV_ENV),
    )


def pixi_config(use_pixi_mirror: bool, pypi_index: str | None) -> str | None:
    """`/etc/pixi/config.toml` for `install.pixi(use_pixi_mirror=, pypi_index=)`, envd's settings (None when
    neither is asked for). envd's template runs the two tables together when both are set; here they are
    separate tables."""
    parts = []
    if use_pixi_mirror:
        parts.append(
            "[mirrors]\n"
            '"https://conda.anaconda.org" = ["https://prefix.dev/"]\n'
            "# prefix.dev does not mirror conda-forge's label channels (the longest matching prefix wins)\n"
            '"https://conda.anaconda.org/conda-forge/label" = [\n'
            '  "https://conda.anaconda.org/conda-forge/label",\n'
            "]\n"
        )
    if pypi_index:
        parts.append(f"[pypi-config]\nindex-url = {json.dumps(pypi_index)}\n")
    return "\n".join(parts) or None


def install_pixi(
    state: llb.State,
    *,
    use_pixi_mirror: bool,
    pypi_index: str | None,
    platform: str,
    owner: tuple[int, int] | None,
    releases: str = GITHUB_RELEASES,
) -> llb.State:
    """`install.pixi()`: pixi's release binary at /usr/bin/pixi (as envd), plus its config when asked for.

    envd downloads the release with wget in a curl image from ghcr.io; here BuildKit fetches and unpacks it.
    The config file is the dev user's, as in envd, so `pixi config` can change it."""
    arch = release_arch(platform, "x86_64", "aarch64")
    name = f"pixi-{arch}-unknown-linux-musl.tar.gz"
    tree = unpacked(f"{releases}/prefix-dev/pixi/releases/download/v{PIXI_RELEASE}/{name}", name)
    state = state.copy(
        tree, "/pixi", "/usr/bin/pixi", mode=0o755, custom_name=f"[internal] install pixi {PIXI_RELEASE}"
    )
    config = pixi_config(use_pixi_mirror, pypi_index)
    if config is None:
        return state
    state = state.mkdir(
        "/etc/pixi", mode=0o755, parents=True, custom_name="[internal] create pixi config directory"
    )
    return state.mkfile(
        PIXI_CONFIG, config, mode=0o644, chown=owner, custom_name="[internal] create pixi config file"
    )
