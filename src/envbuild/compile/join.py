"""Independent stages side by side, or one after another, with the same files either way.

Each stage is a function from a root to a new state. With merge/diff support every stage starts from the
same root, BuildKit runs them in parallel, and `merge([root, diff(root, s1), diff(root, s2), ...])` lays their
changes over the root. Without it (Docker's classic image store refuses merge ops) each stage starts where the
previous one ended. The stages must touch disjoint files for the two to agree: the pipeline puts all apt work
in one stage for that reason (dpkg's status file would otherwise be a conflict the merge resolves by dropping
one side).

A stage may also return a `Layer`: changes made on a state of its own (e.g. the Python environment, created
where a tool-only copy of the distribution's python3 exists), so that only what it added reaches the image,
not the tools it was made with. Such a stage exists only side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from envbuild import llb


@dataclass(frozen=True)
class Layer:
    """The changes from `lower` to `upper`, merged into the image as one layer."""

    lower: llb.State
    upper: llb.State


Stage = tuple[str, Callable[[llb.State], "llb.State | Layer"]]


def join_stages(root: llb.State, stages: Sequence[Stage], *, merge_diff: bool) -> llb.State:
    """Apply `stages` (name, function) to `root`: merged in parallel when `merge_diff`, else in sequence."""
    if not merge_diff:
        state = root
        for name, stage in stages:
            out = stage(state)
            if isinstance(out, Layer):
                raise ValueError(f"stage {name!r} is built apart and needs merge/diff support")
            state = out
        return state
    results = [(name, stage(root)) for name, stage in stages]
    if not results:
        return root
    if len(results) == 1 and isinstance(results[0][1], llb.State):
        return results[0][1]
    layers = [root]
    for name, out in results:
        lower, upper = (out.lower, out.upper) if isinstance(out, Layer) else (root, out)
        layers.append(llb.diff(lower, upper, custom_name=f"[internal] {name}"))
    return llb.merge(layers, custom_name="[internal] join " + ", ".join(name for name, _ in results))
