"""The dev layer of `base(dev=True)` images, as two steps the pipeline chains:

* `compile_dev_base(state, ctx)` right after the base image and apt source: the dev tools from the
  distribution (sudo, OpenSSH server, git, curl, the chosen shell...) and the `envd` user with the owner's
  uid/gid, so every later step can hand files to that user;
* `compile_dev_user(state, ctx)` after io.copy: Horust (the binary and one service file per process), the
  SSH server's config and the accepted key, the shell prompt, `git_config`'s `.gitconfig` and the VS Code
  extensions. It returns a `DevLayer` saying which user,
  entrypoint and extra env the image config gets, and which local directories the solve must send (a local
  Horust file).

Both are pure: where Horust comes from was decided by the builder (`--horust`, `ENVBUILD_HORUST`, the pinned
release) and arrives resolved in `ctx.target.horust`.
"""

from __future__ import annotations

from dataclasses import dataclass

from envbuild import contract, llb
from envbuild.compile import horust
from envbuild.compile.cache_mounts import apt_mounts
from envbuild.compile.context import CompileContext
from envbuild.compile.dev import services, user, vscode
from envbuild.compile.system_packages import apt_install_script
from envbuild.errors import EnvbuildError
from envbuild.graph import Graph

# What every dev image needs from the distribution. ca-certificates is the distribution's own trust store
# (a proxy's CA only ever arrives as a build secret); procps/less/vim-tiny make the shell usable.
DEV_APT_PACKAGES = (
    "bash",
    "ca-certificates",
    "curl",
    "git",
    "less",
    "openssh-client",
    "openssh-server",
    "procps",
    "sudo",
    "vim-tiny",
)
# The rest of envd's built-in dev tool set (its `types.BaseAptPackage`), which envd users' build files and
# libraries rely on: wget (envdlib's installers), make and gpg (R's key), locales, bzip2 (conda installers),
# the X/GLib runtime libraries OpenCV-style wheels load, libatomic1 (Node.js). envd's mercurial and
# subversion (which pull a second Python into every image), full vim and an always-installed zsh are left
# out: see docs/coming-from-envd.md.
ENVD_TOOL_PACKAGES = (
    "bzip2",
    "gpg",
    "libatomic1",
    "libglib2.0-0",
    "libsm6",
    "libxext6",
    "libxrender1",
    "locales",
    "make",
    "wget",
)
# Not in envd's set: unpacks VS Code extensions (.vsix are zip files) in the image
EXTRA_TOOL_PACKAGES = ("unzip",)


@dataclass(frozen=True)
class DevLayer:
    """What the dev layer decided: state, image user and entrypoint, env to add, local dirs to send."""

    state: llb.State
    user: str = contract.USER
    entrypoint: tuple[str, ...] = horust.ENTRYPOINT
    env: tuple[tuple[str, str], ...] = ()
    services: tuple[horust.Service, ...] = ()


def dev_apt_packages(shell: str) -> tuple[str, ...]:
    user.login_shell(shell)  # unsupported shells fail here, before any build
    return (*DEV_APT_PACKAGES, *ENVD_TOOL_PACKAGES, *EXTRA_TOOL_PACKAGES, *user.SHELL_PACKAGES[shell])


def compile_dev_base(state: llb.State, ctx: CompileContext) -> llb.State:
    """Dev tools and the `envd` user (owner uid/gid, passwordless sudo, home /home/envd)."""
    graph = ctx.graph
    uid, gid = ctx.owner
    packages = dev_apt_packages(graph.shell)
    script = (
        apt_install_script(packages, reuse_lists=not ctx.steps.ignore_cache)
        # the distribution's host keys would be the same in every container made from this image
        + "rm -f /etc/ssh/ssh_host_*\n"
        + user.create_user_script(uid, gid, graph.shell)
    )
    return ctx.steps.sh(state, script, name="[internal] install dev tools and create user envd",
                        mounts=apt_mounts(ctx.steps.scope))


def compile_dev_user(state: llb.State, ctx: CompileContext) -> DevLayer:
    """Horust + services, sshd config and key, prompt."""
    graph = ctx.graph
    target = ctx.target
    uid, gid = ctx.owner
    project_dir = contract.project_dir(graph.project.name)
    if target.horust is None:
        raise EnvbuildError(
            "a dev image needs Horust, and the build target names no source for it",
            hint="build through envbuild.builder.build, which resolves --horust / ENVBUILD_HORUST",
            location=graph.base.location,
        )
    state = services.install_horust(state, target.horust)

    chown_user = (uid, gid)
    # One shell step: BuildKit's mkdir applies the umask (0777 would come out 0755), and the prompt needs a
    # shell anyway. Horust runs as the user, so its log and run directories must be writable by it.
    state = ctx.steps.sh(
        state,
        _directories_script(uid, gid)
        + user.prompt_script(graph.project.name, graph.shell, uid, gid, _shell_setup(graph)),
        name=f"[internal] Horust, sshd and {graph.shell} prompt directories",
        offline=True,
    )

    env = dict(ctx.env)
    added = {**_dev_env(project_dir), **_shell_env(graph.shell)}
    env.update(added)
    jupyter = graph.config.jupyter
    supervised = horust.dev_services(
        user=contract.USER,
        project_dir=project_dir,
        sshd_script=services.sshd_start_script(),
        as_root=uid == 0,
        jupyter_token=jupyter.token if jupyter is not None else None,
        jupyter_port=(jupyter.port or contract.JUPYTER_PORT) if jupyter is not None else None,
        daemons=[d.args for d in graph.runtime.daemons],
        inits=[i.commands for i in graph.runtime.init],
        rstudio=graph.config.rstudio_server,
    )
    files = services.service_files(supervised)
    files[services.SSHD_CONFIG] = (services.sshd_config(user=contract.USER, uid=uid, env=env), 0o644)
    state = services.write_files(state, files, chown=None)
    if target.ssh_public_key:
        state = state.mkfile(contract.AUTHORIZED_KEYS, services.authorized_keys_line(target.ssh_public_key),
                             mode=0o644, chown=chown_user, custom_name="[internal] install the ssh key")
    owned = user_directories(graph)
    if owned and uid != 0:
        state = ctx.steps.sh(state, user.own_script(owned, uid, gid),
                             name=f"[internal] configure user permissions for {' '.join(owned)}",
                             offline=True)
    git = graph.git_config
    if git is not None:
        state = state.mkfile(user.GITCONFIG, user.gitconfig_text(git.name, git.email, git.editor), mode=0o644,
                             chown=chown_user, custom_name=f"[internal] write {user.GITCONFIG}")
    if graph.packages.vscode:
        state = vscode.install_extensions(state, graph.packages.vscode, platform=target.platform,
                                          owner=chown_user, steps=ctx.steps)
    return DevLayer(
        state=state,
        env=tuple(added.items()),
        services=supervised,
    )


def _shell_setup(graph: Graph) -> str:
    conda = None if graph.conda is None else ("mamba" if graph.conda.use_mamba else "conda")
    return user.shell_setup(graph.shell, conda=conda, pixi=graph.pixi is not None)


def user_directories(graph: Graph) -> tuple[str, ...]:
    """Trees the dev user installs into later (`conda install`, `install.packages()`, `Pkg.add`), so they
    are the user's, as envd makes them."""
    from envbuild.compile import languages, python

    dirs = []
    if graph.conda is not None:
        dirs.append(python.CONDA_ROOT)
    if graph.language("r") is not None:
        dirs.append(languages.R_SITE_LIBRARY)
    if graph.packages.julia:
        dirs.append(languages.JULIA_DEPOT)
    return tuple(dirs)


def _directories_script(uid: int, gid: int) -> str:
    return (
        f"install -d -m 0755 {horust.SERVICE_DIR} {horust.SCRIPT_DIR} /var/envd\n"
        f"install -d -m 1777 {horust.LOG_DIR} {horust.RUN_DIR}\n"
        f"install -d -o {uid} -g {gid} -m 0700 {services.HOST_KEY_DIR}\n"
    )


def _dev_env(project_dir: str) -> dict[str, str]:
    return {"ENVD_WORKDIR": project_dir, "USER": user.USER, "HOME": contract.HOME}


def _shell_env(shell: str) -> dict[str, str]:
    return {"SHELL": user.login_shell(shell)}
