"""`run()`: the user's own commands, one build step per call, in call order.

The commands go to bash as one argument (`bash -c SCRIPT`), never through a shell-word splitter, so quotes of
any kind in a command reach bash exactly as written (envd's `bash -c '%s'` breaks on a `'`).
"""

from __future__ import annotations

from envbuild import llb
from envbuild.compile.sources import context_source
from envbuild.compile.steps import StepEnv, step_location
from envbuild.graph import Run


def run_script(item: Run) -> str:
    return "".join(command + "\n" for command in item.commands)


def _name(item: Run) -> str:
    first = item.commands[0] if item.commands else ""
    more = f" (+{len(item.commands) - 1})" if len(item.commands) > 1 else ""
    where = f" [{item.location}]" if item.location else ""
    return f"run: {first}{more}{where}"


def runs(
    state: llb.State, items: tuple[Run, ...], steps: StepEnv, *, workdir: str, user: str | None
) -> llb.State:
    """Each `run()` in `workdir` as `user`; `mount_host=True` binds the project there (changes are discarded,
    as in envd)."""
    for item in items:
        mounts = [llb.bind_mount(workdir, context_source())] if item.mount_host else []
        state = steps.sh(
            state,
            run_script(item),
            name=_name(item),
            mounts=mounts,
            cwd=workdir,
            user=user,
            location=step_location(item.location),
        )
    return state
