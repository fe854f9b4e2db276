"""`State`: an immutable handle on one output of an LLB graph, plus the image-config metadata that travels
with it (environment, working directory, user, platform).

Every method returns a new State; nothing happens until `marshal()`. The metadata mirrors BuildKit's Go
`llb.State` values: a `run` uses the state's env/cwd/user unless the call overrides them, and the override
applies to that one step only (the returned root keeps the state's own metadata).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from envbuild.llb import gopath
from envbuild.platforms import Platform, as_platform

if TYPE_CHECKING:
    from envbuild._proto.pb import ops_pb2 as pb
    from envbuild.llb.exec import ExecState, RunOptions
    from envbuild.llb.fileops import Chown
    from envbuild.llb.sourcemap import SourceLocation
    from envbuild.llb.vertex import Output


@dataclass(frozen=True, slots=True, eq=False)
class State:
    """One filesystem in the graph (`output`, None for scratch) and its image-config metadata.

    `env` is an ordered tuple of (name, value) pairs: setting a variable again moves it to the end, as in
    BuildKit's Go client, so the env list of an exec is the same from either client.
    """

    output: Output | None = None
    env: tuple[tuple[str, str], ...] = ()
    cwd: str = "/"
    user: str = ""
    platform: Platform | None = None

    # -- metadata ----------------------------------------------------------------------------------------

    @property
    def is_scratch(self) -> bool:
        return self.output is None

    def with_env(self, key: str, value: str) -> State:
        """Set an environment variable for later `run` steps (and for the image config)."""
        return replace(self, env=(*((k, v) for k, v in self.env if k != key), (key, value)))

    def with_envs(self, pairs: Mapping[str, str] | Sequence[tuple[str, str]]) -> State:
        """Set many variables at once, as `with_env` one after another would, in linear time (a build file
        can set tens of thousands)."""
        items = list(pairs.items() if isinstance(pairs, Mapping) else pairs)
        last = {key: index for index, (key, _value) in enumerate(items)}
        kept = tuple((k, v) for k, v in self.env if k not in last)
        added = tuple((k, v) for index, (k, v) in enumerate(items) if last[k] == index)
        return replace(self, env=kept + added)

    def without_env(self, key: str) -> State:
        return replace(self, env=tuple((k, v) for k, v in self.env if k != key))

    def get_env(self, key: str) -> str | None:
        return next((v for k, v in self.env if k == key), None)

    def env_list(self) -> list[str]:
        """`["K=V", ...]` as an image config or an exec's environment lists them."""
        return [f"{k}={v}" for k, v in self.env]

    def with_cwd(self, path: str) -> State:
        """Change the working directory; a relative path is taken from the current one (like WORKDIR)."""
        return replace(self, cwd=gopath.resolve(self.cwd, path) if path else self.cwd)

    def with_user(self, user: str) -> State:
        return replace(self, user=user)

    def with_platform(self, platform: Platform | str | None) -> State:
        return replace(self, platform=as_platform(platform))

    def with_output(self, output: Output | None) -> State:
        """The same metadata on another filesystem."""
        return replace(self, output=output)

    def with_image_config(self, config: Mapping) -> State:
        """Take Env, WorkingDir and User (and the platform, when present) from an OCI image config.

        Accepts the whole image JSON (`{"architecture":..., "os":..., "config": {...}}`) or just its
        `config` object, as BuildKit's ResolveImageConfig returns them, or Docker's `image inspect` form
        (`Config`, `Os`, `Architecture`).
        """
        section = next(
            (config[key] for key in ("config", "Config") if isinstance(config.get(key), Mapping)), config
        )
        pairs = [entry.partition("=") for entry in section.get("Env") or ()]
        state = self.with_envs([(key, value) for key, _, value in pairs if key])
        if section.get("WorkingDir"):
            state = state.with_cwd(section["WorkingDir"])
        if section.get("User"):
            state = state.with_user(section["User"])
        os_ = config.get("os") or config.get("Os")
        arch = config.get("architecture") or config.get("Architecture")
        if os_ and arch:
            variant = config.get("variant") or config.get("Variant") or ""
            state = state.with_platform(Platform(os_, arch, variant))
        return state

    # -- steps -------------------------------------------------------------------------------------------

    def run(self, args: Sequence[str] | str, options: RunOptions | None = None) -> ExecState:
        """Run a process on this filesystem (`pb.ExecOp`); `options` as `envbuild.llb.RunOptions` says."""
        from envbuild.llb.exec import DEFAULT_RUN, run

        return run(self, args, options or DEFAULT_RUN)

    def mkdir(
        self,
        path: str,
        *,
        mode: int = 0o755,
        parents: bool = False,
        chown: Chown = None,
        custom_name: str | None = None,
        ignore_cache: bool = False,
        location: SourceLocation | None = None,
    ) -> State:
        """Create a directory (relative paths start at `cwd`)."""
        from envbuild.llb import fileops

        owner = fileops.chown_spec(chown)
        action = fileops.Mkdir(gopath.resolve(self.cwd, path), mode & 0o777, parents, owner)
        return fileops.apply(self, action, custom_name, ignore_cache, location)

    def mkfile(
        self,
        path: str,
        data: bytes | str,
        *,
        mode: int = 0o644,
        chown: Chown = None,
        custom_name: str | None = None,
        ignore_cache: bool = False,
        location: SourceLocation | None = None,
    ) -> State:
        """Create (or replace) a file with `data` (str is written as UTF-8)."""
        from envbuild.llb import fileops

        content = data.encode() if isinstance(data, str) else bytes(data)
        owner = fileops.chown_spec(chown)
        action = fileops.Mkfile(gopath.resolve(self.cwd, path), mode & 0o777, content, owner)
        return fileops.apply(self, action, custom_name, ignore_cache, location)

    def rm(
        self,
        path: str,
        *,
        allow_not_found: bool = False,
        allow_wildcard: bool = False,
        custom_name: str | None = None,
        ignore_cache: bool = False,
        location: SourceLocation | None = None,
    ) -> State:
        """Remove a file or directory tree."""
        from envbuild.llb import fileops

        action = fileops.Rm(gopath.resolve(self.cwd, path), allow_not_found, allow_wildcard)
        return fileops.apply(self, action, custom_name, ignore_cache, location)

    def symlink(
        self,
        target: str,
        link: str,
        *,
        chown: Chown = None,
        custom_name: str | None = None,
        ignore_cache: bool = False,
        location: SourceLocation | None = None,
    ) -> State:
        """Create `link` pointing at `target` (stored as given). Needs BuildKit >= v0.19."""
        from envbuild.llb import fileops

        action = fileops.Symlink(target, gopath.resolve(self.cwd, link), fileops.chown_spec(chown))
        return fileops.apply(self, action, custom_name, ignore_cache, location)

    def copy(
        self,
        source: State,
        src: str,
        dest: str,
        *,
        chown: Chown = None,
        mode: int | None = None,
        create_parents: bool = True,
        dir_contents_only: bool = True,
        follow_symlinks: bool = True,
        allow_wildcard: bool = True,
        allow_empty_wildcard: bool = True,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        unpack_archives: bool = False,
        replace_existing: bool = False,
        custom_name: str | None = None,
        ignore_cache: bool = False,
        location: SourceLocation | None = None,
    ) -> State:
        """Copy `src` from `source` to `dest` here. Defaults follow Dockerfile COPY: parents are created, a
        directory's contents are copied, symlinks followed, wildcards allowed. A `dest` ending in `/` means
        "into this directory". `mode` None keeps the source's permission bits."""
        from envbuild.llb import fileops

        action = fileops.Copy(
            source=source,
            src=gopath.join(source.cwd, gopath.clean(src)) if not src.startswith("/") else gopath.clean(src),
            dest=gopath.resolve(self.cwd, dest, keep_slash=True),
            owner=fileops.chown_spec(chown),
            mode=mode,
            create_parents=create_parents,
            dir_contents_only=dir_contents_only,
            follow_symlinks=follow_symlinks,
            allow_wildcard=allow_wildcard,
            allow_empty_wildcard=allow_empty_wildcard,
            include=tuple(include),
            exclude=tuple(exclude),
            unpack_archives=unpack_archives,
            replace_existing=replace_existing,
        )
        return fileops.apply(self, action, custom_name, ignore_cache, location)

    # -- output --------------------------------------------------------------------------------------------

    def marshal(
        self, platform: Platform | str | None = None, *, local_unique_id: str | None = None
    ) -> pb.Definition:
        """The graph that produces this state, as the `pb.Definition` a Solve request carries.

        `platform` is used by ops that do not carry their own (default: this machine's). When
        `local_unique_id` is given, local sources carry it as BuildKit's `local.unique` attribute (the Go
        client sends a stable per-client id there so two clients never share a transfer cache).
        """
        from envbuild.llb.marshal import marshal

        return marshal(self, platform=platform, local_unique_id=local_unique_id)


def scratch() -> State:
    """The empty filesystem."""
    return State()
