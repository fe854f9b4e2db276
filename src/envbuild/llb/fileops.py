"""File operations (`pb.FileOp`): mkdir, mkfile, rm, symlink and copy, chained into one vertex.

Consecutive file operations on the state a file operation returned extend that vertex instead of adding a
new one, as a chained Go `FileAction` does, so `s.mkdir(...).rm(...).mkfile(...)` is one step for BuildKit
(one cache entry, one progress line). They are applied in order; the result is the same as separate ops.
A call with a different `custom_name` or `ignore_cache` starts a new vertex so each named step stays visible.

Index rules (BuildKit's): an action's `input` below the op's input count is an input; at or above it, it
is the result of action (value - input count); -1 is scratch. Only the last action's result is an output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envbuild._proto.pb import ops_pb2 as pb
from envbuild.llb.errors import LLBError
from envbuild.llb.vertex import EMPTY, Built, MarshalContext, Output, StepMeta, op_head, step_meta

if TYPE_CHECKING:
    from envbuild.llb.sourcemap import SourceLocation
    from envbuild.llb.state import State

# "user", "user:group", "1000:1000", a uid, or (user, group).
Chown = str | int | tuple[str | int, str | int] | None

_NO_TIMESTAMP = -1  # keep the current time / the source's times


@dataclass(frozen=True, slots=True)
class Owner:
    user: str | int | None
    group: str | int | None = None


def _id_or_name(value: str | int) -> str | int:
    if isinstance(value, int):
        return value
    if value == "root":
        return 0
    return int(value) if value.isdigit() else value


def chown_spec(value: Chown) -> Owner | None:
    """Parse the `chown=` forms; names are resolved by BuildKit from the target's /etc/passwd and group."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise LLBError(f"chown {value!r} is not a user")
    if isinstance(value, int):
        return Owner(value)
    if isinstance(value, tuple):
        if len(value) != 2:
            raise LLBError(f"chown {value!r} must be (user, group)")
        return Owner(_id_or_name(value[0]), _id_or_name(value[1]))
    user, sep, group = value.partition(":")
    if not user or (sep and not group):
        raise LLBError(f"chown {value!r} must be user, user:group, uid or uid:gid")
    return Owner(_id_or_name(user), _id_or_name(group) if sep else None)


def _user_opt(value: str | int, base: int) -> pb.UserOpt:
    if isinstance(value, int):
        return pb.UserOpt(byID=value)
    return pb.UserOpt(byName=pb.NamedUserOpt(name=value, input=base))


def _owner(owner: Owner | None, base: int) -> pb.ChownOpt | None:
    if owner is None:
        return None
    out = pb.ChownOpt()
    if owner.user is not None:
        out.user.CopyFrom(_user_opt(owner.user, base))
    if owner.group is not None:
        out.group.CopyFrom(_user_opt(owner.group, base))
    return out


@dataclass(frozen=True, slots=True)
class Mkdir:
    path: str
    mode: int
    parents: bool
    owner: Owner | None = None


@dataclass(frozen=True, slots=True)
class Mkfile:
    path: str
    mode: int
    data: bytes
    owner: Owner | None = None


@dataclass(frozen=True, slots=True)
class Rm:
    path: str
    allow_not_found: bool = False
    allow_wildcard: bool = False


@dataclass(frozen=True, slots=True)
class Symlink:
    oldpath: str
    newpath: str
    owner: Owner | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Copy:
    source: State
    src: str
    dest: str
    owner: Owner | None = None
    mode: int | None = None
    create_parents: bool = True
    dir_contents_only: bool = True
    follow_symlinks: bool = True
    allow_wildcard: bool = True
    allow_empty_wildcard: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    unpack_archives: bool = False
    replace_existing: bool = False


Action = Mkdir | Mkfile | Rm | Symlink | Copy


def _action_message(action: Action, base: int, caps: set[str]) -> tuple[str, object]:
    """The oneof member name and message for one action."""
    if isinstance(action, Mkdir):
        return "mkdir", pb.FileActionMkDir(
            path=action.path, mode=action.mode, makeParents=action.parents,
            owner=_owner(action.owner, base), timestamp=_NO_TIMESTAMP,
        )
    if isinstance(action, Mkfile):
        return "mkfile", pb.FileActionMkFile(
            path=action.path, mode=action.mode, data=action.data,
            owner=_owner(action.owner, base), timestamp=_NO_TIMESTAMP,
        )
    if isinstance(action, Rm):
        if action.allow_wildcard:
            caps.add("file.rm.wildcard")
        return "rm", pb.FileActionRm(
            path=action.path, allowNotFound=action.allow_not_found, allowWildcard=action.allow_wildcard
        )
    if isinstance(action, Symlink):
        caps.add("file.symlink.create")
        return "symlink", pb.FileActionSymlink(
            oldpath=action.oldpath, newpath=action.newpath,
            owner=_owner(action.owner, base), timestamp=_NO_TIMESTAMP,
        )
    if action.include or action.exclude:
        caps.add("file.copy.includeexcludepatterns")
    if action.replace_existing:
        caps.add("file.copy.alwaysreplaceexistingdestpaths")
    return "copy", pb.FileActionCopy(
        src=action.src,
        dest=action.dest,
        owner=_owner(action.owner, base),
        mode=-1 if action.mode is None else action.mode,
        followSymlink=action.follow_symlinks,
        dirCopyContents=action.dir_contents_only,
        attemptUnpackDockerCompatibility=action.unpack_archives,
        createDestPath=action.create_parents,
        allowWildcard=action.allow_wildcard,
        allowEmptyWildcard=action.allow_empty_wildcard,
        timestamp=_NO_TIMESTAMP,
        include_patterns=action.include,
        exclude_patterns=action.exclude,
        alwaysReplaceExistingDestPaths=action.replace_existing,
    )


@dataclass(frozen=True, slots=True, eq=False)
class FileVertex:
    """A chain of file actions applied to `base` (None: scratch)."""

    base: Output | None
    actions: tuple[Action, ...]
    meta: StepMeta

    def _outputs(self) -> list[Output]:
        outs = [self.base] if self.base is not None else []
        outs += [a.source.output for a in self.actions if isinstance(a, Copy) and a.source.output is not None]
        return outs

    def dependencies(self) -> tuple:
        seen: dict[int, object] = {}
        for out in self._outputs():
            seen.setdefault(id(out.vertex), out.vertex)
        return tuple(seen.values())

    def build(self, ctx: MarshalContext) -> Built:
        head = op_head(None)  # file ops are not platform-specific
        positions: dict[tuple[str, int], int] = {}

        def add(output: Output | None) -> int:
            if output is None:
                return EMPTY
            inp = ctx.input(output)
            key = (inp.digest, inp.index)
            if key not in positions:
                positions[key] = len(head.inputs)
                head.inputs.append(inp)
            return positions[key]

        base = add(self.base)
        secondaries = [add(a.source.output) if isinstance(a, Copy) else EMPTY for a in self.actions]
        count = len(head.inputs)
        caps = {"file.base"}
        body = pb.FileOp()
        last = len(self.actions) - 1
        for i, action in enumerate(self.actions):
            kind, message = _action_message(action, base, caps)
            entry = body.actions.add(
                input=base if i == 0 else count + i - 1,
                secondaryInput=secondaries[i],
                output=0 if i == last else EMPTY,
            )
            getattr(entry, kind).CopyFrom(message)
        return Built(head, "file", body, caps)


def apply(
    state: State, action: Action, custom_name: str | None, ignore_cache: bool, location: SourceLocation | None
) -> State:
    """`state` with `action` applied: appended to the state's own file vertex when it can be, else new."""
    out = state.output
    if (
        out is not None
        and isinstance(out.vertex, FileVertex)
        and out.vertex.meta.custom_name == custom_name
        and out.vertex.meta.ignore_cache == ignore_cache
    ):
        prior = out.vertex
        locations = prior.meta.locations + ((location,) if location is not None else ())
        meta = StepMeta(custom_name, ignore_cache, prior.meta.description, locations)
        vertex = FileVertex(prior.base, (*prior.actions, action), meta)
    else:
        vertex = FileVertex(out, (action,), step_meta(custom_name, ignore_cache, location))
    return state.with_output(Output(vertex))
