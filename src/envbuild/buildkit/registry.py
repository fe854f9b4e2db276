"""Just enough of the OCI distribution API to read and rewrite a cache manifest: manifests and blobs by
reference, uploads, and the registry's own authentication (Basic, or a Bearer token fetched with the Docker
credentials `auth.lookup` finds).

BuildKit does the heavy lifting (layers); envbuild only touches a cache's small config and manifest. Like
BuildKit, it speaks plain HTTP to registries on localhost and to ones the user marked insecure.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from envbuild.buildkit.auth import lookup
from envbuild.errors import EnvbuildError

TIMEOUT = 60.0
MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(EnvbuildError):
    """A registry refused or failed a request."""


@dataclass(frozen=True)
class Reference:
    """`host/repository:tag` (or `@sha256:...`), Docker's defaults filled in."""

    host: str
    repository: str
    reference: str

    @classmethod
    def parse(cls, text: str) -> Reference:
        name, digest = text, ""
        if "@" in name:
            name, digest = name.split("@", 1)
        first, _, rest = name.partition("/")
        if rest and ("." in first or ":" in first or first == "localhost"):
            host, path = first, rest
        else:
            host, path = "registry-1.docker.io", name if rest else f"library/{name}"
        tag = ""
        if ":" in path.rsplit("/", 1)[-1]:
            path, tag = path.rsplit(":", 1)
        return cls(host, path, digest or tag or "latest")

    def __str__(self) -> str:
        sep = "@" if self.reference.startswith("sha256:") else ":"
        return f"{self.host}/{self.repository}{sep}{self.reference}"


def _local(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1, with or without a port."""
    if host.startswith("["):
        name = host[1:].split("]", 1)[0]
    else:
        name = host.split(":", 1)[0] if host.count(":") == 1 else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    """One registry host; `insecure` allows plain HTTP (always allowed for localhost, as in BuildKit)."""

    def __init__(self, host: str, *, insecure: bool = False):
        self.host = host
        self.scheme = "http" if insecure or _local(host) else "https"
        self._auth: str | None = None
        # 127.0.0.1 and friends never go through a proxy; others follow the environment's proxy settings.
        handlers = [urllib.request.ProxyHandler({})] if _local(host) else []
        self._opener = urllib.request.build_opener(*handlers)

    def _url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.scheme}://{self.host}{path}"

    def _request(self, method: str, path: str, *, data: bytes | None = None,
                 headers: dict[str, str] | None = None, scope: str = "") -> tuple[int, dict[str, str], bytes]:
        for attempt in range(2):
            req = urllib.request.Request(
                self._url(path), data=data, method=method, headers=dict(headers or {})
            )
            if self._auth:
                req.add_header("Authorization", self._auth)
            try:
                with self._opener.open(req, timeout=TIMEOUT) as resp:
                    return resp.status, dict(resp.headers.items()), resp.read()
            except urllib.error.HTTPError as err:
                body = err.read()
                challenge = err.headers.get("WWW-Authenticate", "")
                if err.code == 401 and attempt == 0 and self._authenticate(challenge, scope):
                    continue
                raise RegistryError(
                    f"registry {self.host} answered {err.code} to {method} {path}: "
                    f"{body[:200].decode('utf-8', 'replace').strip()}",
                    hint="check the reference and `docker login` for this registry",
                ) from err
            except (urllib.error.URLError, OSError) as err:
                raise RegistryError(f"registry {self.host} cannot be reached ({err})") from err
        raise RegistryError(f"registry {self.host} refused the credentials for {path}")

    def _authenticate(self, challenge: str, scope: str) -> bool:
        creds = lookup(self.host if self.host != "registry-1.docker.io" else "docker.io")
        kind, _, params_text = challenge.partition(" ")
        if kind.lower() == "basic":
            if not creds.username:
                return False
            token = base64.b64encode(f"{creds.username}:{creds.secret}".encode()).decode()
            self._auth = f"Basic {token}"
            return True
        if kind.lower() != "bearer":
            return False
        params = dict(_CHALLENGE.findall(params_text))
        query = {"service": params.get("service", "")}
        if scope:
            query["scope"] = scope
        headers = {}
        if creds.username:
            basic = base64.b64encode(f"{creds.username}:{creds.secret}".encode()).decode()
            headers["Authorization"] = f"Basic {basic}"
        url = params.get("realm", "") + "?" + urllib.parse.urlencode(query)
        try:
            with self._opener.open(urllib.request.Request(url, headers=headers), timeout=TIMEOUT) as resp:
                answer = json.load(resp)
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise RegistryError(f"registry {self.host}: no token from {params.get('realm')} ({err})") from err
        token = answer.get("token") or answer.get("access_token")
        if not token:
            return False
        self._auth = f"Bearer {token}"
        return True

    def manifest(self, ref: Reference) -> tuple[bytes, str]:
        """The manifest (or index) bytes and their media type."""
        _, headers, body = self._request(
            "GET", f"/v2/{ref.repository}/manifests/{ref.reference}",
            headers={"Accept": ", ".join(MANIFEST_TYPES)}, scope=f"repository:{ref.repository}:pull",
        )
        media = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        return body, media or json.loads(body).get("mediaType", "")

    def blob(self, repository: str, digest: str) -> bytes:
        _, _, body = self._request("GET", f"/v2/{repository}/blobs/{digest}",
                                   scope=f"repository:{repository}:pull")
        if sha256(body) != digest:
            raise RegistryError(f"registry {self.host} sent blob {digest} with other content")
        return body

    def put_blob(self, repository: str, data: bytes) -> str:
        digest = sha256(data)
        scope = f"repository:{repository}:pull,push"
        _, headers, _ = self._request("POST", f"/v2/{repository}/blobs/uploads/", data=b"", scope=scope)
        location = {k.lower(): v for k, v in headers.items()}["location"]
        sep = "&" if "?" in location else "?"
        self._request("PUT", f"{location}{sep}digest={urllib.parse.quote(digest)}", data=data,
                      headers={"Content-Type": "application/octet-stream"}, scope=scope)
        return digest

    def put_manifest(self, ref: Reference, data: bytes, media_type: str) -> None:
        self._request("PUT", f"/v2/{ref.repository}/manifests/{ref.reference}", data=data,
                      headers={"Content-Type": media_type}, scope=f"repository:{ref.repository}:pull,push")
