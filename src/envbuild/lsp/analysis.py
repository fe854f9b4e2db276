"""A real evaluation of the file being edited, turned into the problems an editor shows.

The evaluation is the CLI's (`run_evaluation`: user config, the file, its `build()` and the graph's checks),
fed with the editor's unsaved buffers and with include() limited to the local cache, so an error is the
same message at the same place as `envbuild build` would print, and a keystroke never waits on the network.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

from envbuild.errors import EnvbuildError
from envbuild.lang.evaluator import Evaluation, run_evaluation
from envbuild.lang.include import NotCached

log = logging.getLogger("envbuild.lsp")
TIME_LIMIT_SECONDS = 5.0  # an editor cannot wait a minute for a runaway loop; the CLI's limit is longer
ENTRY = "build"
_ENTRY_DEF = re.compile(rf"^def\s+{ENTRY}\s*\(", re.MULTILINE)


@dataclass(frozen=True)
class Problem:
    """One error: the file it is in (None when it has no location) and whether it only warns (a library
    that is not in the cache yet is not the file's fault)."""

    error: EnvbuildError
    path: Path | None
    warning: bool = False


def analyse(path: Path, overlay: dict[Path, str]) -> list[Problem]:
    """Evaluate `path` (text from `overlay` when the editor holds it) and return what went wrong.

    A file with `def build()` is evaluated as `envbuild build` would; one without (a library of helpers)
    only has its top level run, which still finds syntax errors, bad loads and unknown names at top level.
    """
    text = overlay.get(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return []
    evaluation = Evaluation(path.parent, overlay=overlay, offline=True)
    evaluation.deadline = time.monotonic() + TIME_LIMIT_SECONDS
    function = ENTRY if _ENTRY_DEF.search(text) else None
    try:
        run_evaluation(evaluation, path, function)
    except EnvbuildError as err:
        return [Problem(err, _file_of(err, evaluation, path), warning=isinstance(err, NotCached))]
    except Exception as err:  # a bug of ours must not take the server down with it
        log.exception("evaluating %s failed", path)
        return [Problem(EnvbuildError(f"internal error: {type(err).__name__}: {err}"), None)]
    return []


def _file_of(err: EnvbuildError, evaluation: Evaluation, path: Path) -> Path | None:
    if err.location is None:
        return None
    named = evaluation.files.get(err.location.file)
    if named is not None:
        return named
    candidate = Path(err.location.file)
    if not candidate.is_absolute():
        candidate = path.parent / candidate
    return candidate if candidate.exists() or candidate == path else None
