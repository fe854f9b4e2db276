"""The dev user: `envd` with the owner's uid/gid, passwordless sudo, home `/home/envd`, a shell with a prompt.

Created early (right after the dev tools, as envd does) so later steps can hand files to the user. Base
images that already hold a user with the owner's uid (ubuntu:24.04 ships `ubuntu` as 1000) have that user
renamed rather than failing `useradd`; a group that already has the gid is simply used. Owner uid 0 (a root
host user) makes `envd` a second name for root, like envd does, so files in the bind-mounted project stay
owned by the host user.
"""

from __future__ import annotations

import shlex

from envbuild.contract import HOME, USER, project_dir
from envbuild.errors import EnvbuildError

SHELLS = {"bash": "/bin/bash", "zsh": "/usr/bin/zsh", "fish": "/usr/bin/fish"}
SHELL_PACKAGES = {"bash": (), "zsh": ("zsh",), "fish": ("fish",)}


def login_shell(shell: str) -> str:
    try:
        return SHELLS[shell]
    except KeyError:
        raise EnvbuildError(
            f"shell {shell!r} is not supported in dev images", hint=f"use one of: {', '.join(SHELLS)}"
        ) from None


def create_user_script(uid: int, gid: int, shell: str) -> str:
    """bash that makes the dev user exist with exactly this uid/gid, whatever the base image already has."""
    path = login_shell(shell)
    if uid == 0:
        make = (
            f"getent passwd {USER} >/dev/null || useradd -o -u 0 -g 0 -M -d {HOME} -s {path} {USER}\n"
            f"mkdir -p {HOME}\n"
            "group=0\n"
        )
    else:
        make = (
            # a group that already has the gid is used as it is (it may be a system group such as users)
            f"group=$(getent group {gid} | cut -d: -f1 || true)\n"
            'if [ -z "$group" ]; then\n'
            f"  if getent group {USER} >/dev/null; then groupmod -g {gid} {USER};\n"
            f"  else groupadd -g {gid} {USER}; fi\n"
            f"  group={USER}\n"
            "fi\n"
            f"existing=$(getent passwd {uid} | cut -d: -f1 || true)\n"
            f'if [ -z "$existing" ] && getent passwd {USER} >/dev/null; then\n'
            f'  usermod -u {uid} -g "$group" -d {HOME} -s {path} {USER}\n'
            'elif [ -z "$existing" ]; then\n'
            f'  useradd -u {uid} -g "$group" -m -d {HOME} -s {path} {USER}\n'
            f'elif [ "$existing" != {USER} ]; then\n'
            f'  usermod -l {USER} -d {HOME} -m -g "$group" -s {path} "$existing"\n'
            "else\n"
            f'  usermod -g "$group" -s {path} {USER}\n'
            "fi\n"
        )
    return (
        make
        # '*' rather than useradd's locked '!': sshd refuses keys for a locked account, and no password works.
        + f"usermod -p '*' {USER}\n"
        f'install -d -o {uid} -g "$group" -m 0755 {HOME}\n'
        f'install -d -o {uid} -g "$group" -m 0700 {HOME}/.config {HOME}/.cache\n'
        "mkdir -p /etc/sudoers.d\n"
        f"printf '%s\\n' '{USER} ALL=(ALL:ALL) NOPASSWD: ALL' > /etc/sudoers.d/{USER}\n"
        f"chmod 0440 /etc/sudoers.d/{USER}\n"
    )


RC_FILES = {"bash": f"{HOME}/.bashrc", "zsh": f"{HOME}/.zshrc", "fish": f"{HOME}/.config/fish/config.fish"}


def shell_setup(shell: str, *, conda: str | None = None, pixi: bool = False) -> str:
    """What envd adds to the login shell's rc file besides the prompt: the `envd` conda environment
    activated (`conda`: "conda" for Miniconda, "mamba" for micromamba), so `conda install` in a shell goes
    where envd users expect, and pixi's completion."""
    lines = []
    if conda == "conda":
        lines.append(
            "source /opt/conda/etc/fish/conf.d/conda.fish; conda activate envd"
            if shell == "fish"
            else ". /opt/conda/etc/profile.d/conda.sh && conda activate envd"
        )
    elif conda == "mamba":
        lines.append(
            "/opt/conda/bin/micromamba shell hook --shell=fish | source;"
            " micromamba activate /opt/conda/envs/envd"
            if shell == "fish"
            else f'eval "$(/opt/conda/bin/micromamba shell hook --shell={shell})"'
            " && micromamba activate /opt/conda/envs/envd"
        )
    if pixi:
        lines.append(
            "pixi completion --shell fish | source"
            if shell == "fish"
            else f'eval "$(pixi completion --shell {shell})"'
        )
    return "".join(f"{line}\n" for line in lines)


def prompt_files(env_name: str, shell: str, setup: str = "") -> dict[str, str]:
    """Shell rc snippets (path → text to append) that show the environment in the prompt and start an
    interactive login in the project directory (`/home/envd/<env>`), as envd's shell does, plus `setup`
    (see `shell_setup`) for the login shell's file.

    envd downloads starship from GitHub for this; a plain prompt needs nothing from the network. sshd does not
    pass the container's environment on, so the project path is written in, not read from ENVD_WORKDIR.
    """
    name = shlex.quote(env_name)
    workdir = shlex.quote(project_dir(env_name))
    files = {
        f"{HOME}/.bashrc": (
            "\n# envbuild prompt\n"
            f"export ENVD_ENV={name}\n"
            r"PS1='\[\e[1;32m\](envd:${ENVD_ENV})\[\e[0m\] \u@\h:\w\$ '"
            "\n"
            f'case $- in *i*) [ "$PWD" = "$HOME" ] && [ -d {workdir} ] && cd {workdir} ;; esac\n'
        ),
    }
    if shell == "zsh":
        files[f"{HOME}/.zshrc"] = (
            "\n# envbuild prompt\n"
            f"export ENVD_ENV={name}\n"
            "setopt PROMPT_SUBST\n"
            "PROMPT='%F{green}(envd:${ENVD_ENV})%f %n@%m:%~ %# '\n"
            f'[[ -o interactive && "$PWD" == "$HOME" && -d {workdir} ]] && cd {workdir}\n'
        )
    if shell == "fish":
        files[f"{HOME}/.config/fish/config.fish"] = (
            "\n# envbuild prompt\n"
            f"set -gx ENVD_ENV {name}\n"
            "function fish_prompt\n"
            "    set_color green; printf '(envd:%s)' $ENVD_ENV; set_color normal\n"
            "    printf ' %s@%s:%s> ' $USER (prompt_hostname) (prompt_pwd)\n"
            "end\n"
            f'if status is-interactive; and test "$PWD" = "$HOME"; and test -d {workdir}; cd {workdir}; end\n'
        )
    if setup:
        files[RC_FILES[shell]] += setup
    return files


# A login shell reads ~/.profile, not ~/.bashrc: useradd -m copies Debian's from /etc/skel, but the home of a
# root owner (uid 0, made with -M) has none, and its ssh login never showed the prompt.
PROFILE = '[ -n "$BASH_VERSION" ] && [ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n'


def prompt_script(env_name: str, shell: str, uid: int, gid: int, setup: str = "") -> str:
    """bash that appends the prompt snippets, gives the home a ~/.profile that reads ~/.bashrc when it has
    none, and keeps the rc files owned by the user."""
    profile = f"{HOME}/.profile"
    lines = [
        f"if [ ! -f {profile} ]; then",
        f"  if [ -f /etc/skel/.profile ]; then cp /etc/skel/.profile {profile};",
        f"  else printf '%s' {shlex.quote(PROFILE)} > {profile}; fi",
        f"  chown {uid}:{gid} {profile}",
        "fi",
    ]
    for path, text in prompt_files(env_name, shell, setup).items():
        parent = path.rsplit("/", 1)[0]
        lines.append(f"mkdir -p {parent}")
        lines.append(f"printf '%s' {shlex.quote(text)} >> {path}")
        lines.append(f"chown {uid}:{gid} {path}")
        if parent != HOME:
            lines.append(f"chown -R {uid}:{gid} {HOME}/.config")
    return "\n".join(lines) + "\n"


GITCONFIG = f"{HOME}/.gitconfig"


def gitconfig_text(name: str, email: str, editor: str) -> str:
    """`git_config(name=, email=, editor=)` as the `.gitconfig` envd writes (same sections, same order)."""
    return f"\n[user]\n\temail = {email}\n\tname = {name}\n[core]\n\teditor = {editor}\n\n"


def own_script(directories: tuple[str, ...], uid: int, gid: int) -> str:
    """bash: give the user every file under `directories` that is not already theirs. Files the user owns
    are left alone, so a tree chowned when it was installed is not copied into a second layer."""
    dirs = " ".join(shlex.quote(d) for d in directories)
    return (
        f"for dir in {dirs}; do\n"
        '  [ -e "$dir" ] || continue\n'
        f'  find "$dir" \\( ! -user {uid} -o ! -group {gid} \\) -exec chown -h {uid}:{gid} {{}} +\n'
        "done\n"
    )
