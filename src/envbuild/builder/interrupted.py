"""The truth about an interrupted build's image.

BuildKit names the image as the export's last act; a Ctrl-C that arrives while it exports can come too late
to stop it. The moby worker's image store is the Docker engine's, so the names the build exports are read
before the solve, and after an interruption a name that moved is put back (removed, or pointed at the image
it named before): an interrupted build leaves no new tag, and the message says what happened.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from envbuild.builder.freshness import inspect_image
from envbuild.buildkit.address import parse_address
from envbuild.errors import EnvbuildError


class ImageNames:
    """The image ids the build's names had before the solve, on a moby worker (else nothing to watch).

    They are read with a bare inspection (`freshness.inspect_image`), before and after, unless `seen` holds
    what the engine said just before (the up-to-date check's inspection); docker-py, which cost every build
    0.15 s to import, is loaded only to put a name back after an interruption."""

    def __init__(self, address: str, names: Sequence[str], seen: Mapping[str, str | None]) -> None:
        self._client: Any = None
        self.before: dict[str, str | None] = {}
        parsed = parse_address(address)
        self.docker_host = parsed.docker_host
        if parsed.scheme != "moby-worker" or not names:
            return
        # watching is best effort: the build must not fail over it
        with contextlib.suppress(OSError):
            self.before = {
                name: seen[name] if name in seen else _image_id(self.docker_host, name) for name in names
            }

    @property
    def client(self) -> Any:
        if self._client is None:
            import docker

            self._client = docker.DockerClient(base_url=self.docker_host)
        return self._client

    def interrupted(self, err: EnvbuildError) -> EnvbuildError:
        """`err` (a cancelled solve) with a message that is true about the names."""
        notes = []
        for name, old in self.before.items():
            try:
                new = _image_id(self.docker_host, name)
                if new == old:
                    continue
                if old is None:
                    self.client.images.remove(name, noprune=False)
                    notes.append(f"its image was already tagged {name}; the tag was removed")
                else:
                    self.client.images.get(old).tag(name)
                    notes.append(
                        f"its image was already tagged {name}; the tag is back on the previous image"
                    )
            except Exception:  # noqa: BLE001 - the engine went away or refused: say what is there
                notes.append(
                    f"its image may have been tagged {name} already: check with `docker images {name}`"
                )
        if not notes:
            return err
        interrupted = err.message.split(";", 1)[0]
        return type(err)(f"{interrupted} while exporting: " + "; ".join(notes), hint=err.hint)

    def named_meanwhile(self, err: EnvbuildError) -> str | None:
        """When the export failed only because another build (a concurrent `up` or `build` of the same
        environment) named the same image first, the image id the name now has; else None.

        The engine refuses "already exists" only when the image it would create is the one the name already
        points at, so the other build's result is this build's result."""
        if "already exists" not in err.message or not self.before:
            return None
        for name, old in self.before.items():
            if f'"{name}"' in err.message or name in err.message:
                with contextlib.suppress(OSError):
                    new = _image_id(self.docker_host, name)
                    if new is not None and new != old:
                        return new
        return None

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()


def _image_id(docker_host: str, name: str) -> str | None:
    image = inspect_image(docker_host, name)
    return image.get("Id") if image is not None else None
