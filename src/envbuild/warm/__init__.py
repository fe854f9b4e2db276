"""The warm process: `build` and `debug llb` run in a fork of a process that has already imported envbuild.

Before its first build step a fresh `envbuild build` spends 0.3-0.4 s of a one-package pip change loading
Python code (typer, grpc, protobuf, the graph's dataclasses, the compiler), where envd's Go binary starts in
0.05 s. So the console script, for the commands a user repeats while editing, hands its run to a process of
the same installation that has those modules loaded (`server.py`): it forks a worker per run, which takes the
client's arguments, environment, working directory, umask and standard streams (passed as file descriptors)
and runs the command exactly as the console script would have. The client (`client.py`) forwards the signals
a terminal sends (Ctrl-C) to the worker and exits with the worker's status.

The first run finds no warm process, runs in its own process as before, and starts one for the next; the warm
process ends after `IDLE_SECONDS` without a run. `ENVBUILD_WARM=0` turns it off. One warm process serves one
user, one installation of envbuild with its interpreter and libraries, and one interpreter set-up (`PYTHON*`
and locale variables): anything else gets a process of its own (`client.address`).
"""

from __future__ import annotations

IDLE_SECONDS = 600  # a warm process with no run for this long ends; the next run starts one again
SERVE_ENV = "_ENVBUILD_WARM_SERVE"  # set, with the socket's path, on the console script that becomes one
OFF_ENV = "ENVBUILD_WARM"  # "0": every run in its own process, and none started
