"""`install.apt_packages`: one `apt-get install` for every package the build needs from the distribution.

All apt work happens in this one step (the user's packages plus those a language needs, e.g. python3 when the
distribution's Python is used): two apt steps joined by a merge would each write `/var/lib/dpkg/status`, and
the merge would keep only one of them.
"""

from __future__ import annotations

import re
import shlex

from envbuild import llb
from envbuild.compile.cache_mounts import APT_LISTS, apt_mounts
from envbuild.compile.steps import CA_MOUNT_PATH, StepEnv

# Debian's docker-clean hook deletes downloaded .debs after each install, which would make the cache mount
# pointless; keep-downloaded-packages undoes it for this step only. dpkg's fsync after every file protects
# nothing in a build step (the step's snapshot is committed whole or not at all) and made the apt step the
# slowest part of a build on a busy disk: --force-unsafe-io drops it, as Docker's official Debian and
# Ubuntu images configure dpkg to do.
_APT_OPTS = "-o APT::Keep-Downloaded-Packages=true -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-unsafe-io"


def installs(packages: tuple[str, ...], name: str) -> bool:
    """Whether `apt-get install PACKAGES` installs `name`: named as is, pinned (`=VERSION`, `/RELEASE`) or
    for an architecture (`:amd64`)."""
    return any(re.split(r"[=/:]", package, maxsplit=1)[0] == name for package in packages)


#: How long a `apt-get update` serves the builds after it. Refreshing lists fetched minutes ago took ~0.9 s of
#: every apt step here (on a cold build, on the critical path); an install that fails with the lists it has
#: (a package they do not know, a file the mirror has since replaced) updates them and tries again.
LISTS_FRESH_MINUTES = 60
LISTS_STAMP = f"{APT_LISTS}/envbuild-updated"


def apt_install_script(
    packages: tuple[str, ...], *, reuse_lists: bool, unpacked: tuple[str, ...] = ()
) -> str:
    """The install script. When the step has the CA secret, apt trusts it for https mirrors too (apt reads
    none of the variables other tools do).

    The lists are updated unless the cache mount holds lists updated from the same sources within
    `LISTS_FRESH_MINUTES` (a stamp beside them records when and from what); `reuse_lists=False` (a build
    with `--no-cache`) always updates. `unpacked`: packages whose files are only unpacked into `/`, without
    their dependencies or maintainer scripts (for a tool state that needs one file of a package)."""
    names = " ".join(shlex.quote(p) for p in packages)
    install = f'apt-get "${{opts[@]}}" install -y -qq --no-install-recommends {names}'
    if unpacked:
        # in a directory of root's own, where apt's unprivileged downloader could not write
        download = 'apt-get "${opts[@]}" -o APT::Sandbox::User=root download -qq ' + " ".join(
            shlex.quote(p) for p in unpacked
        )
        debs = " ".join(f"{shlex.quote(p)}_*.deb" for p in unpacked)
        unpack = f'for deb in {debs}; do dpkg-deb -x "$deb" /; done'
        install += f' && (cd "$(mktemp -d)" && {download} && {unpack})'
    fresh = (
        f'if [ "$(cat {LISTS_STAMP} 2>/dev/null)" = "$sources" ]'
        f' && [ -n "$(find {LISTS_STAMP} -mmin -{LISTS_FRESH_MINUTES})" ]; then\n'
        f'  echo "apt lists updated less than {LISTS_FRESH_MINUTES} minutes ago: not updated again"\n'
        '  install || { echo "installing with those lists failed: updating them and trying again"\n'
        "    update; install; }\n"
        "else\n"
        "  update; install\n"
        "fi\n"
        if reuse_lists
        else "update; install\n"
    )
    return (
        "rm -f /etc/apt/apt.conf.d/docker-clean\n"
        "export DEBIAN_FRONTEND=noninteractive\n"
        f"opts=({_APT_OPTS})\n"
        f'if [ -r {CA_MOUNT_PATH} ]; then opts+=(-o Acquire::https::CAInfo={CA_MOUNT_PATH}); fi\n'
        "sources=$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || true) | sha256sum)\n"
        f'update() {{ apt-get "${{opts[@]}}" update -qq; printf \'%s\\n\' "$sources" > {LISTS_STAMP}; }}\n'
        f"install() {{ {install}; }}\n" + fresh
    )


def install_apt_packages(
    state: llb.State,
    packages: tuple[str, ...],
    steps: StepEnv,
    *,
    name: str | None = None,
    cache_scope: str | None = None,
    unpacked: tuple[str, ...] = (),
) -> llb.State:
    """Install `packages` (already de-duplicated, in call order) with apt's caches mounted, locked.

    `cache_scope` keys the caches when the step is not the environment's own (a tool-only state), so it
    never waits for the environment's apt step to release its locked caches. `unpacked`: see
    `apt_install_script`."""
    if not packages:
        return state
    return steps.sh(
        state,
        apt_install_script(packages, reuse_lists=not steps.ignore_cache, unpacked=unpacked),
        name=name or "apt-get install " + " ".join(packages),
        mounts=apt_mounts(cache_scope or steps.scope),
    )
