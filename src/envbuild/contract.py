"""What a dev image promises the container that runs it: one place for the facts both sides rely on.

The compiler bakes these into the image (the user, its home, the ports sshd and Jupyter listen on, where the
accepted key is read from, the labels that carry the graph); the runtime starts containers that rely on
exactly the same values. envd's layout is kept, so envd users' files and habits carry over.
"""

from __future__ import annotations

USER = "envd"
HOME = "/home/envd"
SSH_PORT = 2222
JUPYTER_PORT = 8888
RSTUDIO_PORT = 8787  # RStudio Server's own default, which envd publishes for config.rstudio_server()
AUTHORIZED_KEYS = "/var/envd/authorized_keys"

# Image labels the runtime reads back: the graph (ports, mounts, daemons come from it) and who built it.
GRAPH_LABEL = "ai.envbuild.graph"
VERSION_LABEL = "ai.envbuild.version"
# On images `build` puts in Docker's store: the digest of what they were built from (builder/freshness.py).
BUILD_KEY_LABEL = "ai.envbuild.build-key"
# The sha256 of the envbuild.lock the image was built from (set only when the build followed it fully).
LOCK_LABEL = "ai.envbuild.lock"


def project_dir(env_name: str) -> str:
    """`/home/envd/<env>`: the dev image's workdir, where the project is mounted and run() steps work."""
    return f"{HOME}/{env_name}"
