"""Horust without configuration, for real: the pinned release (served on 127.0.0.1 through
ENVBUILD_HORUST_RELEASE_BASE) is fetched once through BuildKit, its digest recorded and said once on stderr;
later builds verify it; a swapped asset and an unreachable URL fail with messages a user can act on.

These drive the builder's own steps (`builder.pins`) against the moby worker, one small solve each; the
whole path through `envbuild build` is in tests/e2e/test_horust_first_use_cli.py.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest

from envbuild import llb
from envbuild.builder import BuildOptions, local_target, pins
from envbuild.builder.trust import UserDigests
from envbuild.buildkit import Export, connect
from envbuild.buildkit.errors import SolveError
from envbuild.buildkit.options import SolveOptions
from envbuild.compile import horust
from envbuild.compile.dev.services import install_horust
from envbuild.errors import EnvbuildError
from envbuild.graph import Base, Graph, Project
from tests.support.horust_release import release_tarball, served_release
from tests.support.horust_standin.build import build_standin

pytestmark = pytest.mark.docker

DEV = Graph(project=Project(name="horust-first-use", dir="/tmp"), base=Base(dev=True))


@pytest.fixture
def release(tmp_path, monkeypatch):
    monkeypatch.delenv("ENVBUILD_HORUST", raising=False)
    monkeypatch.delenv("ENVBUILD_HORUST_SHA256", raising=False)
    with served_release(tmp_path / "release") as served:
        monkeypatch.setenv("ENVBUILD_HORUST_RELEASE_BASE", served.base)
        yield served


def target():
    found, _ = local_target(DEV, BuildOptions(platform="linux/amd64"))
    return found


def solve_horust(client, source, out):
    state = install_horust(llb.scratch(), source)
    client.solve(state.marshal(platform="linux/amd64"), SolveOptions(exports=[Export.local(out)]))
    return out / horust.BINARY_PATH.lstrip("/")


def test_first_use_records_the_digest_and_later_builds_verify_it(release, tmp_path):
    digest = release.publish(release_tarball())
    first = target()
    assert first.horust.url == release.url() and first.horust.checksum is None
    notes: list[str] = []
    with connect() as client:
        learned = pins.learn_horust(client, first, UserDigests(), notes.append)
        assert learned.horust.checksum == digest
        assert UserDigests().get(release.url()) == digest
        (note,) = notes
        assert release.url() in note and digest in note and str(UserDigests().path) in note
        # the next build reads the recorded digest: nothing to learn, BuildKit verifies it
        again = target()
        assert again.horust.checksum == digest and not pins.needs_learning(again.horust)
        binary = solve_horust(client, again.horust, tmp_path / "out")
    assert binary.read_bytes() == build_standin().read_bytes()


def test_a_swapped_asset_fails_naming_the_url_both_digests_and_how_to_accept(release, tmp_path):
    # an asset of this run's own: BuildKit keys a checksummed http source by its checksum, so a tarball equal
    # to one an earlier test fetched (gzip stamps whole seconds) came from the cache and was never re-checked
    recorded = release.publish(release_tarball(extra=secrets.token_bytes(8)))
    UserDigests().record(release.url(), "linux/amd64", recorded)
    swapped = release.publish(release_tarball(extra=b"not the release you recorded"))
    source = target().horust
    assert source.checksum == recorded
    with connect() as client:
        with pytest.raises(SolveError) as caught:
            solve_horust(client, source, tmp_path / "out")
        explained = pins.horust_failure(caught.value, client, replace(target(), horust=source), UserDigests())
    assert explained is not None
    text = explained.render()
    assert release.url() in text and recorded in text and swapped in text
    assert "changed" in text
    assert f"delete the line for {release.url()} from {UserDigests().path}" in text


def test_an_unreachable_release_fails_with_a_hint_about_a_local_binary(monkeypatch):
    monkeypatch.setenv("ENVBUILD_HORUST_RELEASE_BASE", "http://127.0.0.1:9/nothing-listens-here")
    monkeypatch.delenv("ENVBUILD_HORUST_SHA256", raising=False)
    with connect() as client, pytest.raises(EnvbuildError) as caught:
        pins.learn_horust(client, target(), UserDigests(), lambda _text: None)
    assert "cannot download Horust 0.1.13" in caught.value.message
    assert "127.0.0.1:9" in caught.value.message
    assert "--horust /path/to/horust" in caught.value.hint
    assert not UserDigests().path.exists()  # nothing recorded

