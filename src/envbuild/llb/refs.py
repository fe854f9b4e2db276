"""Names as BuildKit expects them: normalised image references and git remotes.

BuildKit's Go client normalises `debian:bookworm` to `docker.io/library/debian:bookworm` and `alpine` to
`docker.io/library/alpine:latest` before putting them in a source identifier; doing the same here keeps our
vertex digests (and so the cache) shared with Go-built graphs for the same image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from envbuild.llb import gopath
from envbuild.llb.errors import LLBError

DEFAULT_DOMAIN = "docker.io"
_LEGACY_DOMAIN = "index.docker.io"
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")


def normalize_image_ref(ref: str) -> str:
    """`debian:bookworm` -> `docker.io/library/debian:bookworm`; no tag and no digest means `:latest`."""
    text = ref.strip()
    name, _, digest = text.partition("@")
    if digest and not _DIGEST.match(digest):
        raise LLBError(f"image reference {ref!r} has an invalid digest {digest!r}")
    tag = ""
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG.match(tag):
            raise LLBError(f"image reference {ref!r} has an invalid tag {tag!r}")
    first, sep, rest = name.partition("/")
    if sep and (any(c in first for c in ".:") or first == "localhost" or first.lower() != first):
        domain, path = first, rest
    else:
        domain, path = DEFAULT_DOMAIN, name
    if domain == _LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = "library/" + path
    if not path or not all(_PATH_COMPONENT.match(part) for part in path.split("/")):
        raise LLBError(
            f"image reference {ref!r} is not valid: repository names are lowercase letters, digits and . _ -"
        )
    out = f"{domain}/{path}"
    if tag:
        out += ":" + tag
    if digest:
        out += "@" + digest
    elif not tag:
        out += ":latest"
    return out


@dataclass(frozen=True, slots=True)
class GitRemote:
    """A parsed git remote: `remote` is the URL to clone, `host`/`path` name the repository."""

    scheme: str
    host: str
    path: str
    remote: str
    fragment: str = ""


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_SCP_LIKE = re.compile(r"^(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+):(?!//)(?P<path>.+)$")
_GIT_SCHEMES = {"http", "https", "ssh", "git"}


def parse_git_remote(url: str) -> GitRemote:
    """Parse `https://host/repo.git`, `ssh://git@host/repo`, `git@host:repo.git` (scp form) or `host/repo`
    (taken as https, as BuildKit does). A `#ref[:subdir]` fragment is split off."""
    text = url.strip()
    if _SCHEME.match(text):
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme not in _GIT_SCHEMES:
            allowed = ", ".join(sorted(_GIT_SCHEMES))
            raise LLBError(f"git remote {url!r} uses {scheme}://; allowed are {allowed}")
        if not parts.netloc:
            raise LLBError(f"git remote {url!r} has no host")
        remote = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
        host = parts.netloc.rsplit("@", 1)[-1]
        return GitRemote(scheme, host, parts.path, remote, parts.fragment)
    body, _, fragment = text.partition("#")
    match = _SCP_LIKE.match(body)
    if match and "." in match["host"] or (match and match["user"]):
        return GitRemote("ssh", match["host"], match["path"], body, fragment)
    if "/" in body and "." in body.split("/", 1)[0]:
        return parse_git_remote("https://" + text)
    raise LLBError(f"{url!r} is not a git remote (expected https://host/repo, ssh://... or git@host:repo)")


def git_identifier(remote: GitRemote, ref: str, subdir: str) -> str:
    """BuildKit's `git://` source identifier: host and path, then `#ref[:subdir]` when either is set."""
    ident = remote.host + gopath.join("/", remote.path)
    if ref or subdir:
        ident += "#" + ref
        if subdir:
            ident += ":" + subdir
    return "git://" + ident
