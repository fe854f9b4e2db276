"""The renderer fed by a real solve: the status stream of the real builder, printed in plain mode."""

from __future__ import annotations

import io
import re
import secrets

import pytest
from rich.console import Console

from envbuild import llb
from envbuild.buildkit import Export, SolveError
from envbuild.buildkit.options import SolveOptions
from envbuild.progress.display import ProgressRenderer

pytestmark = pytest.mark.docker


def _solve(builder, definition, **kw) -> tuple[ProgressRenderer, str]:
    out = io.StringIO()
    with ProgressRenderer("plain", Console(file=out)) as renderer:
        builder.client.solve(definition, SolveOptions(**kw), on_status=renderer.update)
    return renderer, out.getvalue()


def test_real_solve_prints_done_log_and_cached_lines(builder, tmp_path):
    token = secrets.token_hex(4)
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "hello.txt").write_text("hello from the context\n")
    # Only the step's /out mount is exported: the whole root filesystem would dominate the test's time.
    step = llb.image(builder.base).run(
        f"echo progress-{token}; cat /ctx/hello.txt; cp /ctx/hello.txt /out/copied",
        llb.RunOptions(
            mounts=[
                llb.bind_mount("/ctx", llb.local("ctx"), readonly=True),
                llb.bind_mount("/out", llb.scratch()),
            ],
            custom_name=f"RUN progress check {token}",
        ),
    )
    definition = step.get_mount("/out").marshal()
    solve = {"exports": [Export.local(tmp_path / "out")], "local_dirs": {"ctx": ctx}}

    _, first = _solve(builder, definition, **solve)
    number = re.search(rf"^#(\d+) RUN progress check {token}$", first, re.M)
    assert number, first
    n = number.group(1)
    assert re.search(rf"^#{n} \d\.\d{{3}} progress-{token}$", first, re.M), first
    assert re.search(rf"^#{n} \d\.\d{{3}} hello from the context$", first, re.M), first
    assert re.search(rf"^#{n} DONE \d+\.\ds$", first, re.M), first
    assert (tmp_path / "out" / "copied").read_text() == "hello from the context\n"

    _, second = _solve(builder, definition, **solve)
    again = re.search(rf"^#(\d+) RUN progress check {token}$", second, re.M)
    assert again, second
    assert re.search(rf"^#{again.group(1)} CACHED$", second, re.M), second


def test_real_failure_report_names_the_command_and_its_last_words(builder):
    token = secrets.token_hex(4)
    failing = llb.image(builder.base).run(f"echo first {token} >&2; echo last words >&2; exit 7").root()
    out = io.StringIO()
    renderer = ProgressRenderer("plain", Console(file=out))
    with pytest.raises(SolveError), renderer:
        builder.client.solve(failing.marshal(), on_status=renderer.update)
    failed = renderer.failed_step()
    assert failed is not None, out.getvalue()
    assert token in failed.name
    assert failed.log_tail[-2:] == (f"first {token}", "last words")
    report = renderer.failure_report(failed.digest)
    assert "exit code: 7" in report
    assert report.endswith("  | last words")
    assert re.search(r"^#\d+ ERROR: .*exit code: 7$", out.getvalue(), re.M), out.getvalue()
