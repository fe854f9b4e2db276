"""The cache-config rewrite that lets both BuildKit generations use one exported cache (no daemon needed;
tests/e2e/test_team_cache.py runs it between real daemons)."""

from __future__ import annotations

from envbuild import llb
from envbuild.builder.team_cache import add_other_generation, key_pairs
from envbuild.buildkit.cache_keys import cache_digests, go_json, root_key


def test_go_json_escapes_as_go_does():
    assert go_json([("a", "x > y && z < 1", False)]) == '{"a":"x \\u003e y \\u0026\\u0026 z \\u003c 1"}'
    assert go_json([("t", "a\tb\n\x01\u2028é", False)]) == '{"t":"a\\tb\\n\\u0001\\u2028é"}'
    assert go_json([("n", 0, True), ("s", "", True), ("b", False, True), ("z", None, True)]) == "{}"


def test_only_ops_whose_keys_differ_are_paired():
    base = llb.image("debian:bookworm")
    plain = base.run("true").root()  # root mount only: the same key in both generations
    mounted = plain.run("true", llb.RunOptions(mounts=[llb.tmpfs_mount("/t")])).root()
    definition = mounted.mkfile("/f", "x").marshal("linux/amd64")
    pairs = key_pairs(definition)
    assert len(pairs) == 2  # the mounted exec's one output, both ways
    old, new = sorted(pairs)
    assert pairs[old] == new and pairs[new] == old


def test_each_record_gets_a_twin_linked_wherever_the_original_is():
    config = {
        "layers": [{"blob": "sha256:l0", "parent": -1}, {"blob": "sha256:l1"}],
        "records": [
            {"digest": "sha256:base"},
            {"digest": "old-exec", "layers": [{"layer": 0}], "inputs": [[{"selector": "s", "link": 0}]]},
            {"digest": "file", "layers": [{"layer": 1}], "inputs": [[{"link": 1}]]},
        ],
    }
    updated, twins = add_other_generation(config, {"old-exec": "new-exec", "new-exec": "old-exec"})
    assert twins == 1
    records = updated["records"]
    assert records[3] == {**records[1], "digest": "new-exec"}
    assert records[2]["inputs"] == [[{"link": 1}, {"link": 3}]]
    assert config["records"][2]["inputs"] == [[{"link": 1}]]  # the input is left alone
    again, more = add_other_generation(updated, {"old-exec": "new-exec", "new-exec": "old-exec"})
    assert more == 0 and again == updated  # idempotent: a cache rewritten twice is the same


def test_record_digests_are_root_keys_of_cache_digests():
    op_state = llb.image("debian").run("true", llb.RunOptions(mounts=[llb.tmpfs_mount("/t")])).root()
    from envbuild._proto.pb import ops_pb2 as pb

    raw = list(getattr(op_state.marshal("linux/amd64"), "def"))[-2]
    op = pb.Op()
    op.ParseFromString(raw)
    digests = cache_digests(op)
    assert set(digests) == {"gogo", "protobuf-go"} and digests["gogo"] != digests["protobuf-go"]
    assert root_key(digests["gogo"], 0) in key_pairs(op_state.marshal("linux/amd64"))
