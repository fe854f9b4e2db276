"""`install.codex`: coding agents from their release archives, as envd installs them (into /usr/bin).

envd asks the GitHub API for the newest release while compiling and falls back to a pin when it cannot;
here the pin is used unless the build file names a release, so the same file gives the same image and the
compiler needs no network. The version is the release tag, as envd takes it (`rust-v0.98.0`).
"""

from __future__ import annotations

from envbuild import llb
from envbuild.compile.languages import GITHUB_RELEASES, release_arch, unpacked
from envbuild.graph import CodeAgent

CODEX_RELEASE = "rust-v0.98.0"  # envd 1.3.6's fallback pin
CODEX_BINARY = "/usr/bin/codex"


def install_codex(
    state: llb.State, version: str | None, *, platform: str, releases: str = GITHUB_RELEASES
) -> llb.State:
    tag = version or CODEX_RELEASE
    arch = release_arch(platform, "x86_64", "aarch64")
    member = f"codex-{arch}-unknown-linux-musl"
    url = f"{releases}/openai/codex/releases/download/{tag}/{member}.tar.gz"
    tree = unpacked(url, f"{member}.tar.gz")
    return state.copy(
        tree, f"/{member}", CODEX_BINARY, mode=0o755, custom_name=f"[internal] install codex {tag}"
    )


def install_agents(state: llb.State, agents: tuple[CodeAgent, ...], *, platform: str) -> llb.State:
    for agent in agents:
        if agent.name == "codex":
            state = install_codex(state, agent.version, platform=platform)
    return state
