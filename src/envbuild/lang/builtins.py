"""Every envd v1 builtin: its signature (names, defaults, as envd's stubs and argument parsing have them) and
the handler that validates the values and records them.

Each builtin's description (what it does, an `Args:` line per parameter) is its handler's docstring, shown
by editors through the language server. The signatures become real Starlark functions in the prelude (see
`prelude.py`), so Starlark itself reports missing or unknown arguments at the caller's line; the handlers
check types and values.
"""

from __future__ import annotations

import inspect
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from envbuild import contract
from envbuild import graph as g
from envbuild.lang import args as a
from envbuild.lang.args import ArgumentError
from envbuild.lang.recorder import Recorder

REQUIRED = object()
SHELLS = ("bash", "zsh", "fish")
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
DATA_PATHS = {"huggingface": "~/.cache/huggingface", "dgl": "~/.dgl"}
_DATA_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Builtin:
    name: str  # dotted, as users write it: "install.python"
    params: tuple[tuple[str, Any], ...]
    handler: Handler
    doc_text: str | None = None  # for a handler shared by several builtins; otherwise its docstring

    @property
    def doc(self) -> str:
        """What the builtin does and what each parameter means (an `Args:` section), as editors show it.

        The text lives beside the handler so a change of behaviour and of its description land together."""
        return inspect.cleandoc(self.doc_text or self.handler.__doc__ or "")


BUILTINS: dict[str, Builtin] = {}


def builtin(name: str, *params: tuple[str, Any], doc: str | None = None) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        BUILTINS[name] = Builtin(name, params, handler, doc)
        return handler

    return register


def _home(path: str) -> str:
    """envd expands `~` in container paths to the envd user's home."""
    if path == "~":
        return contract.HOME
    if path.startswith("~/"):
        return f"{contract.HOME}/{path[2:]}"
    return path


# ---------------------------------------------------------------- universe


@builtin("base", ("image", g.DEFAULT_IMAGE), ("dev", False))
def _base(rec: Recorder, loc: g.Location, image: Any, dev: Any) -> None:
    """Choose the image the environment starts from.

    Args:
        image: any Debian- or Ubuntu-based image; an empty string keeps the default (ubuntu:22.04).
        dev: add the development layer: an SSH server, a shell prompt, git, sudo and the tools `envbuild up`
            needs to attach to the container.
    """
    image = a.string("image", image)
    rec.base = g.Base(image=image or g.DEFAULT_IMAGE, dev=a.boolean("dev", dev), location=loc)


@builtin("shell", ("name", g.DEFAULT_SHELL))
def _shell(rec: Recorder, loc: g.Location, name: Any) -> None:
    """Pick the interactive shell of the environment.

    Args:
        name: bash, zsh or fish (case does not matter).
    """
    shell = a.non_empty_string("name", name).lower()
    if shell not in SHELLS:
        raise ArgumentError(f"unknown shell {name!r}: use one of {', '.join(SHELLS)}")
    rec.shell = shell


@builtin("run", ("commands", REQUIRED), ("mount_host", False))
def _run(rec: Recorder, loc: g.Location, commands: Any, mount_host: Any) -> None:
    """Run shell commands while the image is built, in call order, each as one build step.

    Args:
        commands: the commands, one string each, run by a shell in /home/envd/<project>.
        mount_host: bind the project directory there while the commands run (what they write to it is
            discarded); the step then depends on the project's files.

    Example: `run(commands=["pip install -e ."])`
    """
    rec.runs.append(
        g.Run(a.string_list("commands", commands, optional=False), a.boolean("mount_host", mount_host), loc)
    )


@builtin("git_config", ("name", ""), ("email", ""), ("editor", ""))
def _git_config(rec: Recorder, loc: g.Location, name: Any, email: Any, editor: Any) -> None:
    """Write a git configuration for the environment's user.

    Args:
        name: the commit author's name.
        email: the commit author's email address.
        editor: the editor git opens for messages (vim, nano, code --wait, ...).
    """
    rec.git_config = g.GitConfig(
        name=a.string("name", name) or "",
        email=a.string("email", email) or "",
        editor=a.string("editor", editor) or "",
        location=loc,
    )


@builtin("include", ("git", REQUIRED), ("ref", None))
def _include(rec: Recorder, loc: g.Location, git: Any, ref: Any) -> None:
    """Use the build functions of another git repository.

    Assign the result to a global at the top of the file; every `.envd` file of the repository is
    evaluated and its public names (not starting with `_`) become attributes of the result.

    Args:
        git: the repository's URL (or a `./` path to a local repository).
        ref: a tag, branch or commit to pin; the default branch when omitted.

    Example: `lib = include("https://github.com/org/envdlib", ref="v1")`
    """
    raise ArgumentError(
        'the result must be assigned to a global name at the top of the file: `lib = include("https://…")`'
    )


# ---------------------------------------------------------------- install


def _version(name: str, value: Any) -> str | None:
    version = a.string(name, value, optional=True)
    return version or None


@builtin("install.python", ("version", "3.11"))
def _python(rec: Recorder, loc: g.Location, version: Any) -> None:
    """Install a Python interpreter.

    Without `install.conda()` this is a standalone Python; with it, Python comes from a conda environment.

    Args:
        version: the Python version, such as "3.11" or "3.10.14"; Python 2 is refused.
    """
    text = a.non_empty_string("version", version)
    if text.startswith("2"):
        raise ArgumentError(f"Python {text} is not supported: use Python 3")
    rec.languages.append(g.Language("python", text, loc))


@builtin("install.conda", ("use_mamba", False))
def _conda(rec: Recorder, loc: g.Location, use_mamba: Any) -> None:
    """Install a conda distribution (Miniconda, or micromamba when asked) and use it for Python.

    Args:
        use_mamba: install micromamba instead of conda.
    """
    channel = rec.conda.channel if rec.conda else None
    rec.conda = g.Conda(use_mamba=a.boolean("use_mamba", use_mamba), channel=channel, location=loc)


@builtin("install.uv", ("python_version", "3.11"))
def _uv(rec: Recorder, loc: g.Location, python_version: Any) -> None:
    """Install uv and let it provide Python and the project's packages.

    Args:
        python_version: the Python version uv installs, such as "3.11".
    """
    rec.uv = g.UV(python_version=a.non_empty_string("python_version", python_version), location=loc)


@builtin("install.pixi", ("use_pixi_mirror", False), ("pypi_index", None))
def _pixi(rec: Recorder, loc: g.Location, use_pixi_mirror: Any, pypi_index: Any) -> None:
    """Install pixi, the conda-ecosystem package manager.

    Args:
        use_pixi_mirror: download pixi through its mirror.
        pypi_index: a PyPI index URL for pixi's PyPI dependencies.
    """
    rec.pixi = g.Pixi(
        use_pixi_mirror=a.boolean("use_pixi_mirror", use_pixi_mirror),
        pypi_index=a.string("pypi_index", pypi_index, optional=True) or None,
        location=loc,
    )


@builtin("install.r_lang")
def _r_lang(rec: Recorder, loc: g.Location) -> None:
    """Install the R language."""
    rec.languages.append(g.Language("r", None, loc))


@builtin("install.julia")
def _julia(rec: Recorder, loc: g.Location) -> None:
    """Install the Julia language."""
    rec.languages.append(g.Language("julia", None, loc))


def _language(name: str) -> Handler:
    def handler(rec: Recorder, loc: g.Location, version: Any) -> None:
        rec.languages.append(g.Language(name, _version("version", version), loc))

    return handler


builtin(
    "install.rust",
    ("version", None),
    doc="""Install the Rust toolchain.

    Args:
        version: a toolchain version; None or "" for the latest stable one.
    """,
)(_language("rust"))
builtin(
    "install.go",
    ("version", None),
    doc="""Install the Go toolchain.

    Args:
        version: a Go version such as "1.22.1"; None or "" for the latest one.
    """,
)(_language("go"))
builtin(
    "install.nodejs",
    ("version", None),
    doc="""Install Node.js.

    Args:
        version: a Node.js version; None or "" for the latest one.
    """,
)(_language("nodejs"))


@builtin("install.codex", ("version", None))
def _codex(rec: Recorder, loc: g.Location, version: Any) -> None:
    """Install the Codex coding agent CLI.

    Args:
        version: a release to install; None or "" for the latest one.
    """
    rec.code_agents.append(g.CodeAgent("codex", _version("version", version), loc))


@builtin("install.apt_packages", ("name", None))
def _apt(rec: Recorder, loc: g.Location, name: Any) -> None:
    """Install system packages with apt.

    Args:
        name: the Debian/Ubuntu package names, such as ["git", "htop"].
    """
    rec.apt.append(g.PackageInstall(a.string_list("name", name), loc))


@builtin("install.python_packages", ("name", None), ("requirements", ""), ("local_wheels", None))
def _python_packages(rec: Recorder, loc: g.Location, name: Any, requirements: Any, local_wheels: Any) -> None:
    """Install Python packages with pip.

    Args:
        name: requirement strings, such as ["numpy", "torch==2.3.0"].
        requirements: a requirements file, relative to the project directory.
        local_wheels: wheel files inside the project directory.
    """
    rec.python.append(
        g.PythonPackageInstall(
            names=a.string_list("name", name),
            requirements=a.string("requirements", requirements, optional=True) or None,
            local_wheels=a.string_list("local_wheels", local_wheels),
            location=loc,
        )
    )


@builtin("install.conda_packages", ("name", None), ("channel", None), ("env_file", ""))
def _conda_packages(rec: Recorder, loc: g.Location, name: Any, channel: Any, env_file: Any) -> None:
    """Install packages with conda (call `install.conda()` first).

    Args:
        name: package specs, such as ["pytorch", "cudatoolkit=11.8"].
        channel: extra channels to search.
        env_file: a conda environment file in the project directory (instead of `name` and `channel`).
    """
    names = a.string_list("name", name)
    channels = a.string_list("channel", channel)
    env = a.string("env_file", env_file, optional=True) or None
    if env and (names or channels):
        raise ArgumentError("`env_file` and `name`/`channel` are mutually exclusive")
    if rec.conda is None:
        raise ArgumentError("conda packages need conda: call install.conda() before install.conda_packages()")
    rec.conda_packages.append(g.CondaPackageInstall(names, channels, env, loc))


def _named_packages(kind: str) -> Handler:
    def handler(rec: Recorder, loc: g.Location, name: Any) -> None:
        names = a.string_list("name", name, optional=False)
        if not names:
            raise ArgumentError(f"`name` must list at least one {kind} package")
        getattr(rec, kind).append(g.PackageInstall(names, loc))

    return handler


builtin(
    "install.r_packages",
    ("name", REQUIRED),
    doc="""Install R packages from CRAN.

    Args:
        name: the package names; at least one.
    """,
)(_named_packages("r"))
builtin(
    "install.julia_packages",
    ("name", REQUIRED),
    doc="""Install Julia packages.

    Args:
        name: the package names; at least one.
    """,
)(_named_packages("julia"))


def parse_vscode_extension(spec: str, loc: g.Location | None) -> g.VSCodeExtension:
    """`publisher.extension[-version]`, split the way envd does (a version starts with a digit)."""
    dot = spec.find(".")
    if dot <= 0:
        raise ArgumentError(f"invalid extension {spec!r}: expected publisher.extension[-version]")
    publisher, rest = spec[:dot], spec[dot + 1 :]
    dash = rest.rfind("-")
    if dash != -1 and rest[dash + 1 : dash + 2].isdigit():
        extension, version = rest[:dash], rest[dash + 1 :]
    else:
        extension, version = rest, None
    if not extension:
        raise ArgumentError(f"invalid extension {spec!r}: expected publisher.extension[-version]")
    return g.VSCodeExtension(publisher, extension, version, loc)


@builtin("install.vscode_extensions", ("name", REQUIRED))
def _vscode(rec: Recorder, loc: g.Location, name: Any) -> None:
    """Install VS Code extensions into the environment.

    Args:
        name: extension ids as `publisher.extension`, optionally with `-version`, such as
            ["ms-python.python"].
    """
    for spec in a.string_list("name", name, optional=False):
        rec.vscode.append(parse_vscode_extension(spec, loc))


@builtin("install.cuda", ("version", REQUIRED), ("cudnn", g.DEFAULT_CUDNN))
def _cuda(rec: Recorder, loc: g.Location, version: Any, cudnn: Any) -> None:
    """Use CUDA: the build starts from an NVIDIA CUDA image that matches the base image's Ubuntu release.

    Args:
        version: the CUDA version, such as "12.2.0" or "11.8".
        cudnn: the cuDNN major version; None for an image without cuDNN.
    """
    text = a.non_empty_string("version", version)
    if not re.fullmatch(r"\d+\.\d+(\.\d+)?", text):
        raise ArgumentError(f"`version` must look like 12.2.0 or 11.8, got {text!r}")
    cudnn_text = a.string("cudnn", cudnn, optional=True)
    rec.cuda = g.Cuda(text, None if cudnn_text is None else (cudnn_text or g.DEFAULT_CUDNN), loc)


# ---------------------------------------------------------------- config


@builtin("config.apt_source", ("source", ""))
def _apt_source(rec: Recorder, loc: g.Location, source: Any) -> None:
    """Replace the apt sources list (for a nearby mirror).

    Args:
        source: the content of a sources.list file.
    """
    rec.set_config(apt_source=a.non_empty_string("source", source))


def _url(name: str, value: Any) -> str:
    text = a.non_empty_string(name, value)
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ArgumentError(f"`{name}` must be an http(s) URL, got {text!r}")
    return text


@builtin("config.pip_index", ("url", REQUIRED), ("extra_url", ""), ("trust", False))
def _pip_index(rec: Recorder, loc: g.Location, url: Any, extra_url: Any, trust: Any) -> None:
    """Make pip use another package index.

    Args:
        url: the index URL (`--index-url`).
        extra_url: another index searched as well (`--extra-index-url`); pip treats both alike.
        trust: trust the index hosts even without valid TLS.
    """
    extra = a.string("extra_url", extra_url, optional=True)
    rec.set_config(
        pip_index=g.PipIndex(
            url=_url("url", url),
            extra_url=_url("extra_url", extra) if extra else None,
            trust=a.boolean("trust", trust),
            location=loc,
        )
    )


@builtin("config.conda_channel", ("channel", REQUIRED))
def _conda_channel(rec: Recorder, loc: g.Location, channel: Any) -> None:
    """Set conda's channel configuration (call `install.conda()` first).

    Args:
        channel: the text of a .condarc file.
    """
    text = a.non_empty_string("channel", channel)
    if rec.conda is None:
        raise ArgumentError("a conda channel needs conda: call install.conda() before config.conda_channel()")
    rec.conda = g.Conda(use_mamba=rec.conda.use_mamba, channel=text, location=rec.conda.location)


@builtin("config.jupyter", ("token", None), ("port", 0))
def _jupyter(rec: Recorder, loc: g.Location, token: Any, port: Any) -> None:
    """Serve Jupyter in the development environment.

    Args:
        token: the access token; "" opens the server without one, None lets Jupyter ask for one.
        port: the host port to publish Jupyter on; 0 lets the runtime pick one.
    """
    rec.set_config(
        jupyter=g.Jupyter(
            token=a.string("token", token, optional=True),
            port=a.integer("port", port, low=0, high=65535),
            location=loc,
        )
    )


@builtin("config.rstudio_server")
def _rstudio(rec: Recorder, loc: g.Location) -> None:
    """Serve RStudio Server in the development environment."""
    rec.set_config(rstudio_server=True)


@builtin("config.gpu", ("count", 0))
def _gpu(rec: Recorder, loc: g.Location, count: Any) -> None:
    """Ask for GPUs when the environment runs.

    Args:
        count: the number of GPUs; -1 for all of them.
    """
    rec.set_config(gpu=a.integer("count", count, low=-1))


@builtin("config.shm_size", ("size", REQUIRED))
def _shm_size(rec: Recorder, loc: g.Location, size: Any) -> None:
    """Set the size of the container's shared memory (/dev/shm).

    Args:
        size: the size in megabytes.
    """
    rec.set_config(shm_size=a.integer("size", size, low=0))


@builtin("config.cran_mirror", ("url", ""))
def _cran(rec: Recorder, loc: g.Location, url: Any) -> None:
    """Use another CRAN mirror for R packages.

    Args:
        url: the mirror's URL.
    """
    rec.set_config(cran_mirror=_url("url", url))


@builtin("config.julia_pkg_server", ("url", ""))
def _julia_server(rec: Recorder, loc: g.Location, url: Any) -> None:
    """Use another Julia package server.

    Args:
        url: the package server's URL.
    """
    rec.set_config(julia_pkg_server=_url("url", url))


@builtin("config.entrypoint", ("args", REQUIRED))
def _entrypoint(rec: Recorder, loc: g.Location, args: Any) -> None:
    """Set the image's entrypoint (for images that are not development environments).

    Args:
        args: the entrypoint's argument list; calls add to it.
    """
    rec.set_config(entrypoint=rec.config.entrypoint + a.string_list("args", args, optional=False))
    rec.entrypoint_location = rec.entrypoint_location or loc


@builtin("config.repo", ("url", REQUIRED), ("description", ""))
def _repo(rec: Recorder, loc: g.Location, url: Any, description: Any) -> None:
    """Record the project's repository in the image's labels.

    Args:
        url: the repository URL.
        description: a short description of the project.
    """
    rec.set_config(repo=g.Repo(a.non_empty_string("url", url), a.string("description", description) or ""))


@builtin("config.owner", ("uid", REQUIRED), ("gid", REQUIRED))
def _owner(rec: Recorder, loc: g.Location, uid: Any, gid: Any) -> None:
    """Make the environment's files belong to this user and group.

    Args:
        uid: the user id.
        gid: the group id.
    """
    rec.set_config(
        owner=g.Owner(a.integer("uid", uid, low=0, high=65535), a.integer("gid", gid, low=0, high=65535))
    )


# ---------------------------------------------------------------- io


@builtin("io.copy", ("source", REQUIRED), ("target", REQUIRED), ("image", None))
def _copy(rec: Recorder, loc: g.Location, source: Any, target: Any, image: Any) -> None:
    """Copy files into the image while it is built.

    Args:
        source: a path in the project directory, or inside `image` when that is given.
        target: the destination path in the image.
        image: copy from this image instead of the project directory.
    """
    rec.copies.append(
        g.Copy(
            source=a.non_empty_string("source", source),
            target=a.non_empty_string("target", target),
            image=a.string("image", image, optional=True) or None,
            location=loc,
        )
    )


def parse_digest(text: str) -> str:
    """An OCI digest `algorithm:hex`, checked as go-digest checks it (known algorithm, exact hex length)."""
    algorithm, sep, hex_part = text.partition(":")
    if not sep:
        raise ArgumentError(f"`checksum` must be a digest like sha256:<64 hex digits>, got {text!r}")
    if algorithm not in DIGEST_HEX_LENGTHS:
        raise ArgumentError(
            f"`checksum` algorithm {algorithm!r} is not supported: use sha256, sha384 or sha512"
        )
    if len(hex_part) != DIGEST_HEX_LENGTHS[algorithm] or not re.fullmatch(r"[0-9a-f]+", hex_part):
        raise ArgumentError(
            f"`checksum` must have {DIGEST_HEX_LENGTHS[algorithm]} lowercase hex digits after {algorithm}:"
        )
    return text


@builtin("io.http", ("url", REQUIRED), ("checksum", None), ("filename", None))
def _http(rec: Recorder, loc: g.Location, url: Any, checksum: Any, filename: Any) -> None:
    """Download a file into the image (under ~/extra_source).

    Args:
        url: the http(s) URL.
        checksum: the expected digest, such as "sha256:<64 hex digits>".
        filename: the file's name; the URL's last path segment by default.
    """
    link = _url("url", url)
    digest = a.string("checksum", checksum, optional=True)
    name = a.string("filename", filename, optional=True)
    if name and ("/" in name or name in (".", "..")):
        raise ArgumentError(f"`filename` must be a plain file name, got {name!r}")
    if not name:
        name = urlparse(link).path.rstrip("/").rsplit("/", 1)[-1] or "download"
    rec.downloads.append(g.HttpDownload(link, name, parse_digest(digest) if digest else None, loc))


# ---------------------------------------------------------------- runtime


@builtin("runtime.command", ("commands", REQUIRED))
def _command(rec: Recorder, loc: g.Location, commands: Any) -> None:
    """Name commands of the environment (run them with `envbuild exec`).

    Args:
        commands: a dict from a name to a shell command.
    """
    rec.commands.update(a.string_dict("commands", commands, optional=False))


@builtin("runtime.daemon", ("commands", REQUIRED))
def _daemon(rec: Recorder, loc: g.Location, commands: Any) -> None:
    """Keep processes running in the background of the environment, under the supervisor.

    Args:
        commands: one argument list per process, such as [["python3", "serve.py"]].
    """
    if not isinstance(commands, (list, tuple)):
        raise ArgumentError(f"`commands` must be a list of argument lists, got {a.type_name(commands)}")
    for index, argv in enumerate(commands):
        if not isinstance(argv, (list, tuple)):
            raise ArgumentError(f"`commands[{index}]` must be a list of strings (one daemon's argv)")
        parts = a.string_list(f"commands[{index}]", argv, optional=False)
        if not parts:
            raise ArgumentError(f"`commands[{index}]` must not be empty")
        rec.daemons.append(g.Daemon(parts, loc))


@builtin(
    "runtime.expose", ("envd_port", REQUIRED), ("host_port", 0), ("service", ""), ("listen_addr", "127.0.0.1")
)
def _expose(
    rec: Recorder, loc: g.Location, envd_port: Any, host_port: Any, service: Any, listen_addr: Any
) -> None:
    """Publish a port of the environment on the host.

    Args:
        envd_port: the port inside the environment.
        host_port: the host port; 0 picks a free one.
        service: a name for the service.
        listen_addr: the host address to listen on.
    """
    addr = a.non_empty_string("listen_addr", listen_addr)
    try:
        ipaddress.ip_address(addr)
    except ValueError:
        raise ArgumentError(f"`listen_addr` must be an IP address, got {addr!r}") from None
    rec.expose.append(
        g.Expose(
            envd_port=a.integer("envd_port", envd_port, low=1, high=65535),
            host_port=a.integer("host_port", 0 if host_port is None else host_port, low=0, high=65535),
            service=a.string("service", service, optional=True) or "",
            listen_addr=addr,
            location=loc,
        )
    )


@builtin("runtime.environ", ("env", None), ("extra_path", None))
def _environ(rec: Recorder, loc: g.Location, env: Any, extra_path: Any) -> None:
    """Set environment variables of the running environment.

    Args:
        env: a dict of variable names to values.
        extra_path: directories added to PATH.
    """
    rec.environ.update(a.string_dict("env", env))
    rec.extra_path.extend(a.string_list("extra_path", extra_path))


@builtin("runtime.mount", ("host_path", REQUIRED), ("envd_path", REQUIRED))
def _mount(rec: Recorder, loc: g.Location, host_path: Any, envd_path: Any) -> None:
    """Mount a host directory (or a data set) into the running environment.

    Args:
        host_path: a host path, or `data.envd("name")` for a managed data set.
        envd_path: the path inside the environment; `~` is the envd user's home.
    """
    target = _home(a.non_empty_string("envd_path", envd_path))
    if isinstance(host_path, dict) and set(host_path) == {"envd_data_source"}:
        rec.mounts.append(g.Mount(target, data_source=host_path["envd_data_source"], location=loc))
        return
    if not isinstance(host_path, str):
        raise ArgumentError(f"`host_path` must be a string or data.envd(...), got {a.type_name(host_path)}")
    rec.mounts.append(g.Mount(target, host_path=a.non_empty_string("host_path", host_path), location=loc))


@builtin("runtime.init", ("commands", REQUIRED))
def _init(rec: Recorder, loc: g.Location, commands: Any) -> None:
    """Run commands each time the environment starts.

    Args:
        commands: shell commands, run in order.
    """
    rec.init.append(g.InitCommands(a.string_list("commands", commands, optional=False), loc))


# ---------------------------------------------------------------- data


@builtin("data.envd", ("name", REQUIRED))
def _data_envd(rec: Recorder, loc: g.Location, name: Any) -> str:
    """A managed data set, for `runtime.mount(host_path=data.envd("name"), ...)`.

    Args:
        name: the data set's name: letters, digits, `.`, `_` and `-`.
    """
    text = a.non_empty_string("name", name)
    if not _DATA_NAME.match(text):
        raise ArgumentError(f"data set name {text!r} may hold only letters, digits, '.', '_' and '-'")
    return text
