"""Labels that mark a container as an envbuild environment and carry what later commands need.

`envs ls`, `exec --command`, `destroy` and the Jupyter URL all read them back from the container, so an
environment stays manageable even when its project dir or build file has changed since `up`.
"""

from __future__ import annotations

from envbuild import contract

PREFIX = "ai.envbuild."
ENVIRONMENT = PREFIX + "environment"  # the environment name; presence marks our containers
PROJECT_DIR = PREFIX + "project-dir"
SSH_PORT = PREFIX + "ssh-port"
PORTS = PREFIX + "ports"  # JSON {name: host port}
JUPYTER_URL = PREFIX + "jupyter-url"
JUPYTER_TOKEN = PREFIX + "jupyter-token"
COMMANDS = PREFIX + "commands"  # JSON {runtime.command name: command}
UP_TOKEN = PREFIX + "up-token"  # one per `up`: only the run that made a container may undo it
GRAPH = contract.GRAPH_LABEL  # the graph JSON: put on images by the compile stage, inherited by containers
LOCK = contract.LOCK_LABEL  # sha256 of the envbuild.lock an image was built from (absent: not locked)
