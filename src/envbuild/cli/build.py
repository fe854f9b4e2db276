"""`envbuild build`: evaluate a build file, build the image on BuildKit, export it where asked.

For people and CI: every flag value is checked before anything connects or builds, a failure exits non-zero
with one clear message, and outputs use buildx's `--output` syntax.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envbuild.cli import builder_flags, building, project

if TYPE_CHECKING:
    from envbuild.builder.options import LockUse
    from envbuild.builder.orchestrator import BuildPlan
    from envbuild.graph import Graph

_OUTPUT_HELP = "type=image|docker|oci|tar|local[,name=...][,push=true][,dest=...]; repeatable."


def register(app: typer.Typer) -> None:
    @app.command("build")
    def build_command(
        path: project.ProjectPath = Path("."),
        from_: project.From = project.DEFAULT_FROM,
        tag: Annotated[str | None, typer.Option("--tag", "-t", help="Image name.")] = None,
        output: Annotated[list[str] | None, typer.Option("--output", "-o", help=_OUTPUT_HELP)] = None,
        export_cache: building.ExportCache = None,
        import_cache: building.ImportCache = None,
        platform: building.Platform = None,
        no_cache: building.NoCache = False,
        progress: building.Progress = "auto",
        use_proxy: building.UseProxy = False,
        ca_bundle: building.CaBundle = None,
        owner: building.Owner = None,
        no_merge: Annotated[bool, typer.Option("--no-merge", help="Never use merge ops.")] = False,
        horust: building.Horust = None,
        history: building.History = False,
        locked: project.Locked = False,
        context: builder_flags.ContextName = None,
        force: Annotated[
            bool, typer.Option("--force", help="Build even if the image is up to date (same inputs).")
        ] = False,
    ) -> None:
        """Build the environment's image."""
        from dataclasses import replace

        from envbuild import contexts, reads
        from envbuild.builder.outputs import parse_output, qualify_image_name
        from envbuild.cli import noop

        with reads.recording() as seen:  # what a memo of a no-op checks (cli/noop.py)
            options = building.build_options(
                progress=progress, platform=platform, no_cache=no_cache, export_cache=export_cache,
                import_cache=import_cache, owner=owner, use_proxy=use_proxy, ca_bundle=ca_bundle,
                horust=horust, history=history,
            )
            choice = contexts.select(context)
            project.build_file(path, from_)  # --path and --from checked before the other values are parsed
            tag_name = qualify_image_name(tag) if tag else None
            specs = tuple(parse_output(o, default_name=tag_name) for o in output or ())
            lock = project.project_lock(path, from_, locked=locked)
            graph = project.load_graph(path, from_, lock)
            options = replace(
                options, tag=tag_name, outputs=specs, merge_diff=False if no_merge else None, lock=lock,
                on_note=building.note, force=force,
            )
            options = replace(options, address=builder_flags.prepare(choice).address)
            planned: list[tuple[BuildPlan, list[str]]] = []
            with project.located_from_here(graph):
                result = building.run_build(
                    graph, options, progress, lambda plan, said: planned.append((plan, said))
                )
            for note in result.notes:
                typer.echo(noop.note_line(note), err=True)
            if result.name:
                typer.echo(noop.result_line(result.name, result.digest))
            plan, said = planned[0]
            if result.name is not None and result.name == plan.store_name and not force:
                # found up to date, or built and labelled with the key: the same run again is a no-op
                reads.stop()
                _keep_memo(seen, plan, said, result.name, graph, lock)


def _keep_memo(
    seen: set[str], plan: BuildPlan, said: list[str], image: str, graph: Graph, lock: LockUse | None
) -> None:
    """A memo of this run (cli/noop.py) for `image` in Docker's store: what it read, the directories it
    sends, the key, and what a run that finds the image up to date says."""
    from envbuild.cli import noop

    if plan.engine is None or not project.evaluates_the_same(graph, lock):
        return
    noop.keep(
        seen,
        engine=plan.engine,
        image=image,
        key=plan.key,
        inputs={plan.local_dirs[name]: digest for name, digest in plan.input_digests.items()},
        stderr=said + [noop.note_line(note) for note in plan.network.notes],
    )
