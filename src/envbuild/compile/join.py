"""Independent stages side by side, or one after another, with the same files either way.

Each stage is a function from a root to a new state. With merge/diff support every stage starts from the
same root, BuildKit runs them in parallel, and `merge([root, diff(root, s1), diff(root, s2), ...])` lays their
changes over the root. Without it (Docker's classic image store refuses merge ops) each stage starts where the
previous one ended. The stages must touch disjoint files for the two to agree: the pipeline puts all apt work
in one stage for that reason (dpkg's status file would otherwise be a conflict the merge resolves by dropping
one side).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from envbuild import llb

Stage = tuple[str, Callable[[llb.State], llb.State]]


def join_stages(root: llb.State, stages: Sequence[Stage], *, merge_diff: bool) -> llb.State:
    """Apply `stages` (name, function) to `root`: merged in parallel when `merge_diff`, else in sequence."""
    if not stages:
        return root
    if not merge_diff or len(stages) == 1:
        state = root
        for _, stage in stages:
            state = stage(state)
        return state
    layers = [root]
    for name, stage in stages:
        layers.append(llb.diff(root, stage(root), custom_name=f"[internal] {name}"))
    return llb.merge(layers, custom_name="[internal] join " + ", ".join(name for name, _ in stages))
