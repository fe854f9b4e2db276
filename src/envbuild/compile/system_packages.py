"""`install.apt_packages`: one `apt-get install` for every package the build needs from the distribution.

All apt work happens in this one step (the user's packages plus those a language needs, e.g. python3 when the
distribution's Python is used): two apt steps joined by a merge would each write `/var/lib/dpkg/status`, and
the merge would keep only one of them.
"""

from __future__ import annotations

import shlex

from envbuild import llb
from envbuild.compile.cache_mounts import apt_mounts
from envbuild.compile.steps import CA_MOUNT_PATH, StepEnv

# Debian's docker-clean hook deletes downloaded .debs after each install, which would make the cache mount
# pointless; keep-downloaded-packages undoes it for this step only.
_APT_OPTS = "-o APT::Keep-Downloaded-Packages=true -o Dpkg::Use-Pty=0"


def apt_install_script(packages: tuple[str, ...]) -> str:
    """The install script. When the step has the CA secret, apt trusts it for https mirrors too (apt reads
    none of the variables other tools do)."""
    names = " ".join(shlex.quote(p) for p in packages)
    return (
        "rm -f /etc/apt/apt.conf.d/docker-clean\n"
        "export DEBIAN_FRONTEND=noninteractive\n"
        f"opts=({_APT_OPTS})\n"
        f'if [ -r {CA_MOUNT_PATH} ]; then opts+=(-o Acquire::https::CAInfo={CA_MOUNT_PATH}); fi\n'
        'apt-get "${opts[@]}" update -qq\n'
        f'apt-get "${{opts[@]}}" install -y -qq --no-install-recommends {names}\n'
    )


def install_apt_packages(state: llb.State, packages: tuple[str, ...], steps: StepEnv) -> llb.State:
    """Install `packages` (already de-duplicated, in call order) with apt's caches mounted, locked."""
    if not packages:
        return state
    return steps.sh(
        state,
        apt_install_script(packages),
        name="apt-get install " + " ".join(packages),
        mounts=apt_mounts(steps.scope),
    )
