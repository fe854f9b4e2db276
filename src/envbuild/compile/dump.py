"""A readable, deterministic dump of a marshalled LLB definition: snapshot tests and `envbuild debug llb`.

Ops are listed in the order BuildKit receives them (dependencies first); each names its inputs by index into
the list rather than by digest, so a reviewer of a snapshot diff sees which step changed and what it feeds,
and the digest column still proves the byte-level identity.
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format


def _decode(definition) -> list[tuple[str, Any]]:
    from envbuild._proto.pb import ops_pb2
    from envbuild.llb import digest_of

    ops = []
    for raw in getattr(definition, "def"):
        op = ops_pb2.Op()
        op.ParseFromString(raw)
        ops.append((digest_of(raw), op))
    return ops


def dump_definition(definition) -> list[dict[str, Any]]:
    """One dict per op: index, digest, kind, inputs (as `#index[:output]`), the op body, custom name."""
    ops = _decode(definition)
    index = {digest: i for i, (digest, _) in enumerate(ops)}
    metadata = definition.metadata
    out = []
    for i, (digest, op) in enumerate(ops):
        kind = op.WhichOneof("op") or "terminal"
        body = (
            json_format.MessageToDict(getattr(op, kind), preserving_proto_field_name=True)
            if kind != "terminal"
            else {}
        )
        entry: dict[str, Any] = {
            "index": i,
            "digest": digest,
            "kind": kind,
            "inputs": [f"#{index.get(inp.digest, inp.digest)}:{inp.index}" for inp in op.inputs],
        }
        if body:
            entry[kind] = body
        if op.HasField("platform"):
            entry["platform"] = json_format.MessageToDict(op.platform, preserving_proto_field_name=True)
        if digest in metadata:
            desc = dict(metadata[digest].description)
            if desc:
                entry["description"] = desc
            caps = sorted(k for k, v in metadata[digest].caps.items() if v)
            if caps:
                entry["caps"] = caps
        out.append(entry)
    return out


def _label(entry: dict[str, Any]) -> str:
    name = entry.get("description", {}).get("llb.customname")
    if not name:
        body = entry.get(entry["kind"], {})
        if entry["kind"] == "source":
            name = body.get("identifier", "source")
        elif entry["kind"] == "exec":
            name = " ".join(body.get("meta", {}).get("args", []))[:60]
        else:
            name = entry["kind"]
    return name.replace("\\", "\\\\").replace('"', '\\"')


def dump_dot(definition) -> str:
    """Graphviz: one node per op (its custom name or command), edges from input to consumer."""
    entries = dump_definition(definition)
    lines = ["digraph llb {", "  rankdir=BT;", "  node [shape=box, fontname=monospace];"]
    for e in entries:
        lines.append(f'  n{e["index"]} [label="{e["kind"]}: {_label(e)}"];')
    for e in entries:
        for inp in e["inputs"]:
            ref = inp.split(":")[0]
            if ref.startswith("#"):
                lines.append(f"  n{ref[1:]} -> n{e['index']};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def snapshot(compiled) -> str:
    """The whole compiled build as stable JSON: the image config (the graph label shortened, since it holds
    host paths) and the LLB dump. What `examples/<name>/llb.json` holds and `envbuild debug llb` prints."""
    config = json.loads(json.dumps(compiled.image_config))
    labels = config.get("config", {}).get("Labels", {})
    if "ai.envbuild.graph" in labels:
        labels["ai.envbuild.graph"] = "<graph JSON>"
    doc = {
        "base": compiled.base_ref,
        "image_config": config,
        "llb": dump_definition(compiled.definition),
        "local_dirs": sorted(compiled.local_dirs),
        "platform": compiled.platform,
        "secrets": list(compiled.secret_ids),
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
