"""What a no-op's memo watches (cli/noop.py, reads.py), without an engine: the image check itself, and the
answer through the console entry, are in tests/e2e/test_build_skip.py."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from envbuild import reads
from envbuild.builder import freshness
from envbuild.builder.freshness import tree_digest
from envbuild.cli import noop
from envbuild.lang import evaluate

ARGV = ["build", "--tag", "memo:1"]
_OLD_NS = time.time_ns() - 3600 * 10**9  # an hour ago: far from the "changed just now" margin


def _age(*paths) -> None:
    for path in paths:
        os.utime(path, ns=(_OLD_NS, _OLD_NS))


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A working directory with a build file, a context directory, a place for a file that is not there,
    and a memo of a run that read the first two and looked for the third."""
    # pytest names the phase it is in (setup, call) in the environment, which a memo otherwise checks
    monkeypatch.setattr(noop, "_SHELL_NOISE", (*noop._SHELL_NOISE, "PYTEST_CURRENT_TEST"))
    # the files are made just now, and their status change times cannot be set back: no settling margin here
    # (test_a_file_changed_just_before_or_during_the_run_keeps_no_memo has it)
    monkeypatch.setattr(freshness, "RACY_NS", 0)
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "build.envd").write_text("def build():\n    pass\n")
    (root / "app" / "main.py").write_text("print(1)\n")
    _age(root / "build.envd", root / "app" / "main.py", root / "app", root)
    monkeypatch.chdir(root)
    assert not noop.answer(ARGV)  # no memo yet; the run this test plays is the one that may keep one
    with reads.recording() as seen:
        (root / "build.envd").read_text()
        (root / "envbuild.lock").exists()
    noop.keep(
        seen, engine="unix:///nowhere", image="docker.io/library/memo:1", key="sha256:k",
        inputs={str(root / "app"): tree_digest(root / "app")}, stderr=["said"],
    )
    assert noop.holds(ARGV)
    return root


def test_recording_sees_opens_absent_paths_listings_and_stops(tmp_path):
    (tmp_path / "here").write_text("x")
    with reads.recording() as seen:
        (tmp_path / "here").read_text()
        assert not (tmp_path / "absent").is_file()
        os.scandir(tmp_path).close()
    assert {str(tmp_path / "here"), str(tmp_path / "absent"), str(tmp_path)} <= seen
    assert os.stat is reads._stat and reads.active() is None
    (tmp_path / "later").exists()
    assert str(tmp_path / "later") not in seen


def test_the_evaluation_child_reports_the_files_it_loaded(tmp_path):
    (tmp_path / "lib.envd").write_text("PKGS = ['curl']\n")
    (tmp_path / "build.envd").write_text(
        'load("lib.envd", "PKGS")\ndef build():\n    install.apt_packages(name=PKGS)\n'
    )
    with reads.recording() as seen:
        evaluate(tmp_path / "build.envd", "build")
    assert {str(tmp_path / "build.envd"), str(tmp_path / "lib.envd")} <= seen


def test_a_watched_file_rewritten_ends_the_memo(project):
    (project / "build.envd").write_text("def build():\n    pass\n")  # the same bytes, rewritten
    assert not noop.holds(ARGV)


def test_an_absent_file_that_appears_ends_the_memo(project):
    (project / "envbuild.lock").write_text("")
    assert not noop.holds(ARGV)


def test_a_context_file_counts_by_content(project):
    (project / "app" / "main.py").write_text("print(1)\n")  # same bytes: the tree digest is the same
    assert noop.holds(ARGV)
    (project / "app" / "main.py").write_text("print(2)\n")
    assert not noop.holds(ARGV)


def test_the_environment_the_arguments_and_the_directory_are_part_of_it(project, monkeypatch, tmp_path):
    assert not noop.holds([*ARGV, "--force"])
    monkeypatch.setenv("ENVBUILD_SOMETHING", "1")
    assert not noop.holds(ARGV)
    monkeypatch.delenv("ENVBUILD_SOMETHING")
    assert noop.holds(ARGV)
    monkeypatch.chdir(tmp_path)
    assert not noop.holds(ARGV)


def test_a_file_changed_just_before_or_during_the_run_keeps_no_memo(tmp_path, monkeypatch):
    (tmp_path / "build.envd").write_text("def build():\n    pass\n")
    _age(tmp_path / "build.envd")  # an old modification time, as `cp -p` or rsync leave: the change is recent
    monkeypatch.chdir(tmp_path)
    argv = ["build", "--tag", "racy:1"]
    assert not noop.answer(argv)
    with reads.recording() as seen:
        (tmp_path / "build.envd").read_text()
    noop.keep(seen, engine="unix:///nowhere", image="i", key="k", inputs={}, stderr=[])
    assert not noop.holds(argv)


def test_envbuilds_own_code_and_cache_are_not_watched_one_by_one(project):
    cache = os.environ["ENVBUILD_CACHE_DIR"]
    seen = {noop.__file__, os.path.join(cache, "tree-hashes", "x.json"), os.path.dirname(cache),
            str(project / "build.envd")}
    assert noop._watched(seen, {}) == {str(project / "build.envd")}


def test_a_project_under_a_pythonpath_directory_is_watched(project, monkeypatch):
    """A `PYTHONPATH` entry above the project is on the import path, but it is not the installation's: the
    fingerprint does not stand for the files below it, so the build file there is watched (a memo that did
    not would answer an edited build file as before)."""
    monkeypatch.syspath_prepend(str(project.parent))
    monkeypatch.chdir("/")  # `envbuild build -p <project>` from elsewhere
    site = next(d for d in sys.path if d.endswith("site-packages"))
    seen = {str(project / "build.envd"), os.path.join(site, "some_library", "data.txt")}
    assert noop._watched(seen, {}) == {str(project / "build.envd")}


def test_a_printed_answer_is_replayed_with_what_it_said(project, capsys):
    argv = ["debug", "llb"]
    assert not noop.answer(argv)
    with reads.recording() as seen:
        (project / "build.envd").read_text()
    noop.keep_output(seen, stdout="{\"llb\": []}", stderr=["note: said"])
    assert noop.answer(argv)
    assert capsys.readouterr() == ("{\"llb\": []}", "note: said\n")
    (project / "build.envd").write_text("def build():\n    pass\n")
    assert not noop.answer(argv)


def test_debug_llb_again_prints_from_its_memo_until_the_build_file_changes(tmp_path):
    """The console entry, as a user runs it: the second `debug llb` prints the same text without the CLI,
    the evaluation or the compile; an edit to the build file is compiled afresh."""
    (tmp_path / "build.envd").write_text('def build():\n    base(image="ubuntu:22.04")\n')
    _age(tmp_path / "build.envd", tmp_path)
    time.sleep(2.1)  # a status change just before a run leaves no memo (freshness.RACY_NS)

    def llb() -> tuple[str, set[str]]:
        args = [sys.executable, "-X", "importtime", "-m", "envbuild.cli", "debug", "llb", "-p", str(tmp_path)]
        run = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        loaded = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if "import time:" in line}
        return run.stdout, loaded

    full, loaded = llb()
    assert "typer" in loaded
    again, loaded = llb()
    assert again == full and not loaded & {"typer", "starlark", "envbuild.llb", "envbuild.graph"}
    (tmp_path / "build.envd").write_text(
        'def build():\n    base(image="ubuntu:22.04")\n    install.apt_packages(name=["jq"])\n'
    )
    edited, loaded = llb()
    assert "typer" in loaded and "jq" in edited and "jq" not in full


def test_only_the_newest_memos_are_kept(project, monkeypatch):
    monkeypatch.setattr(noop, "MAX_MEMOS", 3)
    for n in range(5):
        argv = ["debug", "llb", f"--platform=linux/arm{n}"]
        assert not noop.answer(argv)
        noop.keep_output(set(), stdout=str(n), stderr=[])
        path = noop._memo_path(argv)
        os.utime(path, ns=(_OLD_NS + n, _OLD_NS + n))
    memos = sorted(os.listdir(os.path.dirname(path)))
    assert len(memos) == 3 and os.path.basename(path) in memos
    assert not noop.holds(["debug", "llb", "--platform=linux/arm0"])
    assert noop.holds(["debug", "llb", "--platform=linux/arm4"])
