"""State is an immutable value carrying image-config metadata."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envbuild import llb
from envbuild.platforms import PlatformError


def test_state_is_immutable():
    state = llb.image("debian")
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.cwd = "/x"  # type: ignore[misc]


def test_methods_return_new_states():
    base = llb.image("debian")
    changed = base.with_env("A", "1").with_cwd("/work").with_user("envd")
    assert (base.env, base.cwd, base.user) == ((), "/", "")
    assert (changed.env, changed.cwd, changed.user) == ((("A", "1"),), "/work", "envd")
    assert changed.output is base.output


def test_setting_a_variable_again_moves_it_last_like_go():
    state = llb.scratch().with_env("A", "1").with_env("B", "2").with_env("A", "3")
    assert state.env_list() == ["B=2", "A=3"]
    assert state.get_env("A") == "3"
    assert state.without_env("A").env_list() == ["B=2"]


def test_relative_cwd_is_joined_like_workdir():
    state = llb.scratch().with_cwd("/home/envd").with_cwd("project/../src")
    assert state.cwd == "/home/envd/src"


def test_platform_parsing():
    assert str(llb.Platform.parse("linux/x86_64")) == "linux/amd64"
    assert str(llb.Platform.parse("linux/arm64/v8")) == "linux/arm64"
    assert str(llb.Platform.parse("linux/arm/v7")) == "linux/arm/v7"
    with pytest.raises(PlatformError):
        llb.Platform.parse("amd64")


def test_repr_stays_shallow_on_deep_graphs():
    state = llb.image("debian")
    for i in range(2000):
        state = state.run(["echo", str(i)]).root()
    text = repr(state)
    assert "echo 1999" in text and len(text) < 300


@given(
    st.lists(st.tuples(st.sampled_from("ABCD"), st.text(max_size=3)), max_size=8),
    st.lists(st.tuples(st.sampled_from("ABCDE"), st.text(max_size=3)), max_size=8),
)
def test_with_envs_is_with_env_one_after_another(before, pairs):
    """with_envs exists to be linear (20,000 runtime.environ keys took 39 s one by one); same result."""
    start = llb.scratch()
    for key, value in before:
        start = start.with_env(key, value)
    expected = start
    for key, value in pairs:
        expected = expected.with_env(key, value)
    assert start.with_envs(pairs).env == expected.env
    mapping = dict(pairs)
    sequential = start
    for key, value in mapping.items():
        sequential = sequential.with_env(key, value)
    assert start.with_envs(mapping).env == sequential.env
