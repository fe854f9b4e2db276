"""`install.vscode_extensions`: extensions from Open VSX, unpacked where envd puts them.

envd downloads each extension on the client while compiling (always the latest release, whatever version the
file names) and copies it in from its cache. Here a build step asks Open VSX for the named version (`latest`
when none is given, as envd does), downloads the `.vsix` and unpacks its `extension/` folder into
`~/.vscode-server/extensions/<publisher>.<extension>[-<version>]@<platform>`, envd's directory name, owned by
the dev user. The compiler stays pure (no network while compiling) and a pinned version is really that
version.
"""

from __future__ import annotations

import shlex

from envbuild import llb
from envbuild.compile.steps import StepEnv, step_location
from envbuild.contract import HOME
from envbuild.graph import VSCodeExtension

OPEN_VSX = "https://open-vsx.org"
EXTENSIONS_DIR = f"{HOME}/.vscode-server/extensions"
# Open VSX's target platform names (VS Code's), from the image platform
TARGET_PLATFORMS = {"linux/amd64": "linux-x64", "linux/arm64": "linux-arm64", "linux/arm/v7": "linux-armhf"}


def target_platform(platform: str) -> str:
    return TARGET_PLATFORMS.get(platform, "linux-x64")


def directory_name(ext: VSCodeExtension, platform: str) -> str:
    """envd's name for the unpacked extension: `publisher.extension[-version]@linux-x64`."""
    version = f"-{ext.version}" if ext.version else ""
    return f"{ext.publisher}.{ext.extension}{version}@{target_platform(platform)}"


def install_script(ext: VSCodeExtension, platform: str, owner: tuple[int, int], marketplace: str) -> str:
    """bash: look the release up, download the `.vsix` it names (the universal build, else the platform's,
    as envd picks), unpack `extension/` into place."""
    target = target_platform(platform)
    release = ext.version or "latest"
    api = f"{marketplace}/api/{ext.publisher}/{ext.extension}/{release}?targetPlatform={target}"
    dest = f"{EXTENSIONS_DIR}/{directory_name(ext, platform)}"
    uid, gid = owner
    return (
        "work=$(mktemp -d)\n"
        f"curl -fsSL {shlex.quote(api)} -o \"$work/release.json\"\n"
        "url=''\n"
        f"for key in universal {target}; do\n"
        '  url=$(grep -o "\\"$key\\"[[:space:]]*:[[:space:]]*\\"[^\\"]*\\"" "$work/release.json" | head -n1'
        ' | cut -d\\" -f4 || true)\n'
        '  [ -n "$url" ] && break\n'
        "done\n"
        'if [ -z "$url" ]; then\n'
        f"  echo {shlex.quote(f'{ext.publisher}.{ext.extension} {release}: no download for {target}')} >&2\n"
        "  exit 1\n"
        "fi\n"
        'curl -fsSL "$url" -o "$work/extension.vsix"\n'
        'unzip -q "$work/extension.vsix" "extension/*" -d "$work"\n'
        f"rm -rf {shlex.quote(dest)}\n"
        f"mkdir -p {shlex.quote(EXTENSIONS_DIR)}\n"
        f"mv \"$work/extension\" {shlex.quote(dest)}\n"
        f"chown -R {uid}:{gid} {shlex.quote(f'{HOME}/.vscode-server')}\n"
        'rm -rf "$work"\n'
    )


def install_extensions(
    state: llb.State,
    extensions: tuple[VSCodeExtension, ...],
    *,
    platform: str,
    owner: tuple[int, int],
    steps: StepEnv,
    marketplace: str = OPEN_VSX,
) -> llb.State:
    """One step per extension, in call order (a failing one names its line)."""
    for ext in extensions:
        name = f"{ext.publisher}.{ext.extension}" + (f"-{ext.version}" if ext.version else "")
        state = steps.sh(
            state,
            install_script(ext, platform, owner, marketplace),
            name=f"install vscode extension {name}",
            location=step_location(ext.location),
        )
    return state
