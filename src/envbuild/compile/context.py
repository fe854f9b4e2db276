"""What every compile function may look at besides the state it extends: the graph, the target, the step
environment, the Python plan and the environment variables every step sees. Passed to the dev layer too, so
it builds on the same choices."""

from __future__ import annotations

from dataclasses import dataclass

from envbuild.compile.python import PythonPlan
from envbuild.compile.steps import StepEnv
from envbuild.compile.target import BuildTarget
from envbuild.graph import Graph


@dataclass(frozen=True)
class CompileContext:
    graph: Graph
    target: BuildTarget
    steps: StepEnv
    base_ref: str
    python: PythonPlan | None
    env: tuple[tuple[str, str], ...]

    @property
    def dev(self) -> bool:
        return self.graph.base.dev

    @property
    def owner(self) -> tuple[int, int]:
        """uid/gid of the dev user, as `build` resolved them (`--owner`, else `config.owner`, else the host
        user: envd's order)."""
        return self.target.uid, self.target.gid
