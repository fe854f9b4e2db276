"""Package names that carry pip options, as envd users write them: `"torch --index-url https://…"`,
`"--extra-index-url https://…"`, `"-f URL"`, `"--pre"`.

envd joins the names of one `install.python_packages` call with spaces and lets a shell-word splitter cut
the line again, so every name is really a piece of a `pip install` command line. Here the names are split the
same way; the requirements and options are then given to uv with each option translated to uv's spelling,
or, when an option has no uv equivalent, the whole line goes to pip unchanged.

One difference, on purpose: a name that is one requirement written with spaces (`"numpy >= 1.26"`,
`"pywin32; sys_platform == 'win32'"`) stays one requirement; envd cuts it into pieces pip rejects.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass

from envbuild.errors import EnvbuildError, Location

# pip options that take a value (so the next word is not a requirement)
_VALUED = {
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host", "-e", "--editable",
    "-r", "--requirement", "-c", "--constraint", "--no-binary", "--only-binary", "--timeout", "--retries",
    "--progress-bar", "-t", "--target", "--prefix", "--root", "--src", "--platform", "--python-version",
    "--implementation", "--abi", "-C", "--config-settings", "--global-option", "--cert", "--client-cert",
    "--proxy", "--log", "--exists-action", "--upgrade-strategy", "--python", "--report", "--use-feature",
}
# pip option → uv pip install option with the same meaning (values are kept); None: dropped, as uv's
# behaviour already is that
_UV_VALUED = {
    "-i": "--index-url",
    "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "-f": "--find-links",
    "--find-links": "--find-links",
    "--trusted-host": "--allow-insecure-host",
    "-e": "--editable",
    "--editable": "--editable",
    "-r": "--requirement",
    "--requirement": "--requirement",
    "-c": "--constraint",
    "--constraint": "--constraint",
    "--no-binary": "--no-binary",
    "--only-binary": "--only-binary",
}
_UV_FLAGS: dict[str, tuple[str, ...]] = {
    "--pre": ("--prerelease", "allow"),
    "-U": ("--upgrade",),
    "--upgrade": ("--upgrade",),
    "--no-deps": ("--no-deps",),
    "--force-reinstall": ("--reinstall",),
    "--no-cache-dir": ("--no-cache",),
    "--no-index": ("--no-index",),
    "--no-build-isolation": ("--no-build-isolation",),
    "-q": ("--quiet",),
    "--quiet": ("--quiet",),
    "-v": ("--verbose",),
    "--verbose": ("--verbose",),
    "--no-compile": (),
    "--disable-pip-version-check": (),
    "--no-input": (),
}


@dataclass(frozen=True)
class PipArgs:
    """One call's names as a pip command line: `words` in order, which of them are requirements, and the
    options as (option, value or None) pairs."""

    words: tuple[str, ...]
    requirements: tuple[str, ...]
    uv_words: tuple[str, ...] | None  # the same line in uv's spelling; None when an option has no uv twin
    options: tuple[tuple[str, str | None], ...] = ()

    @property
    def has_options(self) -> bool:
        return len(self.requirements) != len(self.words)


def _words(name: str, location: Location | None) -> list[str]:
    try:
        words = shlex.split(name)
    except ValueError as err:
        raise EnvbuildError(
            f"install.python_packages(): cannot split {name!r} into pip arguments: {err}",
            hint="a quote in a package name must be closed",
            location=location,
        ) from None
    if any(w.startswith("-") for w in words):
        return words
    if ";" in name or any(w[0] in "<>=!~" or w == "@" for w in words[1:]):
        return [name.strip()]  # one requirement written with spaces
    return words


def split_names(names: Iterable[str], location: Location | None = None) -> PipArgs:
    """Split as envd does (join with spaces, shell-word split) and sort out options from requirements."""
    words = tuple(w for name in names for w in _words(name, location))
    requirements: list[str] = []
    options: list[tuple[str, str | None]] = []
    uv: list[str] | None = []
    i = 0
    while i < len(words):
        word = words[i]
        if not word.startswith("-") or word == "-":
            requirements.append(word)
            uv = None if uv is None else [*uv, word]
            i += 1
            continue
        name, eq, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if name in _VALUED and not eq:
            if i + 1 >= len(words):
                raise EnvbuildError(
                    f"install.python_packages(): pip option {name} needs a value",
                    hint=f"write it as \"{name} VALUE\" in the name list",
                    location=location,
                )
            value = words[i + 1]
            i += 2
        else:
            i += 1
        options.append((name, value if (eq or name in _VALUED) else None))
        if uv is None:
            continue
        if name in _UV_VALUED and (eq or name in _VALUED):
            uv += [_UV_VALUED[name], value]
        elif name in _UV_FLAGS and not eq:
            uv += list(_UV_FLAGS[name])
        else:
            uv = None
    return PipArgs(words, tuple(requirements), tuple(uv) if uv is not None else None, tuple(options))


# Options that only change how an install runs, not which distributions it picks.
_INSTALL_ONLY = {
    "-q", "--quiet", "-v", "--verbose", "--no-compile", "--disable-pip-version-check", "--no-input",
    "--no-cache-dir", "--no-warn-script-location", "-U", "--upgrade", "--force-reinstall", "--progress-bar",
    "--timeout", "--retries",
}


@dataclass(frozen=True)
class PackageSources:
    """Where the calls' packages come from, gathered from every call's options, for a resolver that sees
    them all at once (a lock) and for the install of what it resolved. A call's `--index-url` is one more
    index here: it names where that call's packages live, not where every other call's do. `unsupported`
    are options that change what gets installed (`--no-deps`, `-c FILE`, ...), which one set resolved for
    all calls cannot honour."""

    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()
    prerelease: bool = False
    unsupported: tuple[str, ...] = ()


def package_sources(calls: Iterable[PipArgs]) -> PackageSources:
    indexes: dict[str, None] = {}
    links: dict[str, None] = {}
    trusted: dict[str, None] = {}
    prerelease = False
    unsupported: dict[str, None] = {}
    for args in calls:
        for option, value in args.options:
            if option in ("-i", "--index-url", "--extra-index-url") and value:
                indexes.setdefault(value, None)
            elif option in ("-f", "--find-links") and value:
                links.setdefault(value, None)
            elif option == "--trusted-host" and value:
                trusted.setdefault(value, None)
            elif option == "--pre":
                prerelease = True
            elif option not in _INSTALL_ONLY:
                unsupported.setdefault(option, None)
    return PackageSources(tuple(indexes), tuple(links), tuple(trusted), prerelease, tuple(unsupported))
