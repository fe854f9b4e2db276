"""Registry credentials come from the Docker config: inline auths, identity tokens and credential helpers."""

from __future__ import annotations

import base64
import json

from envbuild.buildkit import auth


def test_inline_auth_and_identity_token(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "auths": {
                    "127.0.0.1:5000": {"auth": base64.b64encode(b"me:pw").decode()},
                    "https://index.docker.io/v1/": {"identitytoken": "tok"},
                }
            }
        )
    )
    assert auth.lookup("127.0.0.1:5000", config) == auth.Credentials("me", "pw")
    assert auth.lookup("registry-1.docker.io", config) == auth.Credentials("", "tok")
    assert auth.lookup("ghcr.io", config) == auth.Credentials()


def test_credential_helper_is_called(tmp_path, monkeypatch):
    # A real helper program (docker-credential-<name> protocol), written for this test.
    helper = tmp_path / "bin" / "docker-credential-envbuildtest"
    helper.parent.mkdir()
    helper.write_text('#!/bin/sh\nread host\nprintf \'{"Username":"u-%s","Secret":"s"}\' "$host"\n')
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{helper.parent}:{__import__('os').environ['PATH']}")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credHelpers": {"reg.example": "envbuildtest"}}))
    assert auth.lookup("reg.example", config) == auth.Credentials("u-reg.example", "s")


def test_missing_config_means_anonymous(tmp_path):
    assert auth.lookup("x.io", tmp_path / "nope.json") == auth.Credentials()
