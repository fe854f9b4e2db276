"""`run`: a process in a container made of mounts (`pb.ExecOp`), laid out exactly as BuildKit's Go client
lays it out, so the op bytes (and so the digest) are the same for the same step.

Layout rules taken from the Go client: filesystem mounts (root, binds, caches, tmpfs) are sorted by target;
each writable one gets the next output index in that order; secret mounts follow, then ssh mounts; mounts
without a source read from input -1 (scratch); inputs are de-duplicated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from envbuild._proto.pb import ops_pb2 as pb
from envbuild.llb.errors import LLBError
from envbuild.llb.mounts import BindMount, CacheMount, Mount, SecretMount, SSHMount, TmpfsMount
from envbuild.llb.sourcemap import SourceLocation
from envbuild.llb.state import State
from envbuild.llb.vertex import EMPTY, Built, MarshalContext, Output, StepMeta, op_head, step_meta
from envbuild.platforms import Platform

NETWORK_MODES = {"sandbox": pb.UNSET, "default": pb.UNSET, "host": pb.HOST, "none": pb.NONE}
SECURITY_MODES = {"sandbox": pb.SANDBOX, "insecure": pb.INSECURE}
PROXY_KEYS = ("http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy")
_SHARING = {"shared": pb.SHARED, "private": pb.PRIVATE, "locked": pb.LOCKED}


@dataclass(frozen=True, slots=True)
class ExecMount:
    """A mount as placed in the ExecOp: its source output (None: scratch) and its output index."""

    target: str
    source: Output | None
    kind: int = pb.BIND
    selector: str = ""
    readonly: bool = False
    output: int = EMPTY
    cache_id: str = ""
    sharing: int = pb.SHARED
    tmpfs_size: int = 0
    secret: SecretMount | None = None
    ssh: SSHMount | None = None

    @property
    def produces_output(self) -> bool:
        return self.kind == pb.BIND and not self.readonly


@dataclass(frozen=True, slots=True, eq=False)
class ExecVertex:
    args: tuple[str, ...]
    env: tuple[str, ...]
    cwd: str
    user: str
    hostname: str
    network: pb.NetMode
    security: pb.SecurityMode
    proxy_env: tuple[tuple[str, str], ...]
    mounts: tuple[ExecMount, ...]
    secret_env: tuple[tuple[str, str], ...]
    platform: Platform | None
    meta: StepMeta

    def dependencies(self) -> tuple:
        seen: dict[int, object] = {}
        for m in self.mounts:
            if m.source is not None:
                seen.setdefault(id(m.source.vertex), m.source.vertex)
        return tuple(seen.values())

    def build(self, ctx: MarshalContext) -> Built:
        head = op_head(self.platform or ctx.platform)
        caps = {"exec.meta.base"}
        meta = pb.Meta(
            args=self.args, env=self.env, cwd=self.cwd, user=self.user, hostname=self.hostname,
            removeMountStubsRecursive=True,
        )
        if self.proxy_env:
            meta.proxy_env.CopyFrom(pb.ProxyEnv(**dict(self.proxy_env)))
            caps.add("exec.meta.proxyenv")
        body = pb.ExecOp(meta=meta, network=self.network, security=self.security)
        if self.network != pb.UNSET:
            caps.add("exec.meta.network")
        if self.security == pb.INSECURE:
            caps.add("exec.meta.security")
        for name, secret_id in self.secret_env:
            body.secretenv.add(ID=secret_id, name=name)
            caps.update(("exec.mount.secret", "exec.secretenv"))
        seen_inputs: dict[tuple[str, int], int] = {}
        root_key: tuple[str, int] | None = None  # the root's input ("/" sorts first); None on scratch
        for m in self.mounts:
            pm = body.mounts.add(dest=m.target, mountType=m.kind, selector=m.selector, readonly=m.readonly)
            if m.source is not None:
                inp = ctx.input(m.source)
                key = (inp.digest, inp.index)
                if m.target == "/":
                    root_key = key
                if key not in seen_inputs:
                    seen_inputs[key] = len(head.inputs)
                    head.inputs.append(inp)
                elif m.kind == pb.BIND and key == root_key:
                    # Another mount of the root's own state. BuildKit pools the selectors of one input and
                    # lets its last mount decide on content-based caching: a read-only sub-path would make
                    # it hash the whole root filesystem before the step may start (2 s for a Debian root
                    # with python3). The root's definition already keys the step, so nothing is lost.
                    pm.contentCache = pb.MountContentCache.Value("OFF")
                pm.input = seen_inputs[key]
            else:
                pm.input = EMPTY
            if m.kind in (pb.BIND, pb.CACHE, pb.TMPFS):
                pm.output = m.output
            if m.selector:
                caps.add("exec.mount.selector")
            if m.kind == pb.CACHE:
                pm.cacheOpt.ID = m.cache_id
                pm.cacheOpt.sharing = m.sharing
                caps.update(("exec.mount.cache", "exec.mount.cache.sharing"))
            elif m.kind == pb.TMPFS:
                pm.TmpfsOpt.size = m.tmpfs_size
                caps.add("exec.mount.tmpfs")
                if m.tmpfs_size > 0:
                    caps.add("exec.mount.tmpfs.size")
            elif m.secret is not None:
                s = m.secret
                pm.secretOpt.CopyFrom(
                    pb.SecretOpt(ID=s.id, uid=s.uid, gid=s.gid, mode=s.mode, optional=s.optional)
                )
                caps.add("exec.mount.secret")
            elif m.ssh is not None:
                a = m.ssh
                pm.SSHOpt.CopyFrom(pb.SSHOpt(ID=a.id, uid=a.uid, gid=a.gid, mode=a.mode, optional=a.optional))
                caps.add("exec.mount.ssh")
            elif m.source is not None:
                caps.add("exec.mount.bind")
        return Built(head, "exec", body, caps)


@dataclass(frozen=True, slots=True, eq=False)
class ExecState:
    """What `State.run` returns: the new root filesystem and the exec's other mounts."""

    base: State
    vertex: ExecVertex

    def root(self) -> State:
        """The root filesystem after the step, with the metadata of the state `run` was called on."""
        return self._mount_state("/", self.base)

    def get_mount(self, target: str) -> State:
        """The filesystem at mount `target` after the step (fresh metadata). A read-only bind mount gives
        back its source unchanged; cache, tmpfs, secret and ssh mounts produce no output."""
        return self._mount_state(target, State(platform=self.base.platform))

    def _mount_state(self, target: str, template: State) -> State:
        for m in self.vertex.mounts:
            if m.target != target:
                continue
            if m.produces_output:
                return replace(template, output=Output(self.vertex, m.output))
            if m.kind == pb.BIND:
                return replace(template, output=m.source)
            raise LLBError(f"the {pb.MountType.Name(m.kind).lower()} mount at {target} has no output")
        raise LLBError(f"this step has no mount at {target}")


def _proxy(proxy_env: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    out = {}
    for key, value in (proxy_env or {}).items():
        name = key.lower()
        if name not in PROXY_KEYS:
            raise LLBError(f"proxy_env key {key!r} is not one of {', '.join(PROXY_KEYS)}")
        out[name] = value
    return tuple(sorted(out.items()))


@dataclass(frozen=True)
class RunOptions:
    """How a process runs, besides its command: the options of BuildKit's `RunOption`s as one value.

    `env`, `cwd` and `user` apply on top of the state's metadata for this step only. `network` is "sandbox",
    "host" (needs the network.host entitlement) or "none"; `security` is "sandbox" or "insecure" (needs
    security.insecure). `proxy_env` (http_proxy, https_proxy, no_proxy, ...) reaches the process but stays out
    of the cache key. `mounts` are values from `envbuild.llb.mounts`. `secret_env` maps environment variable
    names to session secret ids: the value reaches the process without entering the op or the image. `shell`
    runs a command given as one string.
    """

    shell: Sequence[str] = ("/bin/sh", "-c")
    env: Mapping[str, str] | None = None
    cwd: str | None = None
    user: str | None = None
    network: str = "sandbox"
    security: str = "sandbox"
    mounts: Sequence[Mount] = ()
    proxy_env: Mapping[str, str] | None = None
    readonly_root: bool = False
    hostname: str | None = None
    secret_env: Mapping[str, str] | None = None
    custom_name: str | None = None
    ignore_cache: bool = False
    location: SourceLocation | None = None


DEFAULT_RUN = RunOptions()


def run(state: State, args: Sequence[str] | str, options: RunOptions = DEFAULT_RUN) -> ExecState:
    """Run `args` (an argv list, or a string given to `options.shell`) on `state`'s filesystem."""
    o = options
    shell, env, cwd, user, network, security = o.shell, o.env, o.cwd, o.user, o.network, o.security
    argv = (*shell, args) if isinstance(args, str) else tuple(args)
    if not argv or not argv[0]:
        raise LLBError("run needs a command")
    if network not in NETWORK_MODES:
        raise LLBError(f"network mode {network!r} is not one of sandbox, host, none")
    if security not in SECURITY_MODES:
        raise LLBError(f"security mode {security!r} is not one of sandbox, insecure")

    step = state
    for key, value in (env or {}).items():
        step = step.with_env(key, value)
    if cwd:
        step = step.with_cwd(cwd)
    if user is not None:
        step = step.with_user(user)

    fs_mounts = [ExecMount("/", state.output, readonly=o.readonly_root)]
    secrets: list[ExecMount] = []
    sshs: list[SSHMount] = []
    for m in o.mounts:
        if isinstance(m, BindMount):
            fs_mounts.append(ExecMount(m.target, m.state.output, selector=m.selector, readonly=m.readonly))
        elif isinstance(m, CacheMount):
            fs_mounts.append(ExecMount(m.target, None, pb.CACHE, cache_id=m.id, sharing=_SHARING[m.sharing]))
        elif isinstance(m, TmpfsMount):
            fs_mounts.append(ExecMount(m.target, None, pb.TMPFS, tmpfs_size=m.size))
        elif isinstance(m, SecretMount):
            secrets.append(ExecMount(m.target, None, pb.SECRET, secret=m, output=0))
        elif isinstance(m, SSHMount):
            sshs.append(m)
        else:
            raise LLBError(f"{m!r} is not a mount: use bind_mount, cache_mount, tmpfs_mount, secret_mount...")

    fs_mounts.sort(key=lambda em: em.target)
    placed: list[ExecMount] = []
    next_output = 0
    for em in fs_mounts:
        if em.produces_output:
            em = replace(em, output=next_output)
            next_output += 1
        placed.append(em)
    ssh_mounts = [
        ExecMount(s.target or f"/run/buildkit/ssh_agent.{i}", None, pb.SSH, ssh=s, output=0)
        for i, s in enumerate(sshs)
    ]
    placed += secrets + ssh_mounts
    targets = [m.target for m in placed]
    duplicates = sorted({t for t in targets if targets.count(t) > 1})
    if duplicates:
        raise LLBError(f"two mounts at {', '.join(duplicates)} in one step")
    if ssh_mounts and step.get_env("SSH_AUTH_SOCK") is None:
        step = step.with_env("SSH_AUTH_SOCK", ssh_mounts[0].target)

    vertex = ExecVertex(
        args=argv,
        env=tuple(step.env_list()),
        cwd=step.cwd or "/",
        user=step.user,
        hostname=o.hostname or "",
        network=NETWORK_MODES[network],
        security=SECURITY_MODES[security],
        proxy_env=_proxy(o.proxy_env),
        mounts=tuple(placed),
        secret_env=tuple((name, secret_id) for name, secret_id in (o.secret_env or {}).items()),
        platform=state.platform,
        meta=step_meta(o.custom_name, o.ignore_cache, o.location),
    )
    return ExecState(state, vertex)

