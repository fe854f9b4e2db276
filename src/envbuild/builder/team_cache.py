"""A registry cache that both BuildKit generations can use, whoever exported it.

BuildKit <= v0.16 (Docker 26 and 27's embedded builder) and >= v0.17 (standalone buildkitd today, Docker 28+)
give exec, merge and diff steps different cache keys (see `envbuild.buildkit.cache_keys`). So a cache that CI
exports from dockerd matched one step in eleven on a developer's buildkitd. After a `--export-cache
type=registry`, envbuild therefore adds to the exported cache config, for each such step it built, a record
under the other generation's key - the same layers and inputs - and links every record that depended on the
original to the copy as an alternative. Then the manifest is pushed again under the same reference. Layers are
not touched; only the small config blob and the manifest are rewritten.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

from envbuild._proto.pb import ops_pb2 as pb
from envbuild.buildkit.cache_keys import GENERATIONS, cache_digests, output_count, root_key
from envbuild.buildkit.registry import Reference, Registry

CACHE_CONFIG_TYPE = "application/vnd.buildkit.cacheconfig.v0"


def key_pairs(definition: pb.Definition) -> dict[str, str]:
    """For every output of every step whose key depends on the generation: each generation's record
    digest mapped to the other's."""
    pairs: dict[str, str] = {}
    for raw in list(getattr(definition, "def"))[:-1]:
        op = pb.Op()
        op.ParseFromString(raw)
        digests = cache_digests(op)
        if not digests or len(set(digests.values())) == 1:
            continue
        old, new = (digests[g] for g in GENERATIONS)
        for output in range(output_count(op)):
            a, b = root_key(old, output), root_key(new, output)
            pairs[a], pairs[b] = b, a
    return pairs


def add_other_generation(config: dict, pairs: dict[str, str]) -> tuple[dict, int]:
    """A copy of a cache config (`{"layers": [...], "records": [...]}`) in which each record keyed for one
    generation has a twin keyed for the other, linked wherever the original is; and how many twins."""
    out = copy.deepcopy(config)
    records = out.get("records") or []
    present = {r["digest"]: i for i, r in enumerate(records)}
    twin_of: dict[int, int] = {}
    for i, record in enumerate(list(records)):
        other = pairs.get(record["digest"])
        if other is None or other in present:
            continue
        twin = copy.deepcopy(record)
        twin["digest"] = other
        twin_of[i] = len(records)
        present[other] = len(records)
        records.append(twin)
    if not twin_of:
        return out, 0
    for record in records:
        for group in record.get("inputs") or []:
            for link in list(group):
                if link.get("link") in twin_of:
                    alt = dict(link, link=twin_of[link["link"]])
                    if alt not in group:
                        group.append(alt)
    return out, len(twin_of)


@dataclass(frozen=True)
class TeamCacheResult:
    ref: str
    twins: int


def share_registry_cache(
    definition: pb.Definition, ref_text: str, *, insecure: bool = False
) -> TeamCacheResult:
    """Give the cache BuildKit exported at `ref_text` the other generation's keys (see the module doc)."""
    pairs = key_pairs(definition)
    if not pairs:
        return TeamCacheResult(ref_text, 0)
    ref = Reference.parse(ref_text)
    registry = Registry(ref.host, insecure=insecure)
    raw, media_type = registry.manifest(ref)
    manifest = json.loads(raw)
    if manifest.get("config", {}).get("mediaType") == CACHE_CONFIG_TYPE:
        descriptor = manifest["config"]  # BuildKit >= v0.21's default: an image manifest
    else:
        found = [m for m in manifest.get("manifests") or [] if m.get("mediaType") == CACHE_CONFIG_TYPE]
        if not found:
            return TeamCacheResult(ref_text, 0)
        descriptor = found[0]  # older BuildKit: an index with the config as one entry
    config = json.loads(registry.blob(ref.repository, descriptor["digest"]))
    updated, twins = add_other_generation(config, pairs)
    if not twins:
        return TeamCacheResult(ref_text, 0)
    data = json.dumps(updated, separators=(",", ":")).encode()
    descriptor["digest"] = registry.put_blob(ref.repository, data)
    descriptor["size"] = len(data)
    registry.put_manifest(ref, json.dumps(manifest, separators=(",", ":")).encode(), media_type)
    return TeamCacheResult(ref_text, twins)

