"""The fsutil DiffCopy sender and receiver, run against each other in-process.

The same code talks to the real daemon in test_solve_docker.py; here the two sides check each other's
framing, ordering and file contents without a daemon.
"""

from __future__ import annotations

import os
import queue
import stat
import threading
from pathlib import Path

from envbuild.buildkit import filesync
from envbuild.buildkit.patterns import PathFilter


def _feed(q: queue.Queue):
    while (item := q.get()) is not None:
        yield item


def _decoded(batches):
    """The sender writes batches of wire bytes; the receiver (like BuildKit) reads Packets one by one."""
    return (filesync.Packet.FromString(b) for batch in batches for b in batch)


def _roundtrip(src: Path, dest: Path, filt: PathFilter | None = None) -> None:
    filt = filt or PathFilter()
    to_receiver: queue.Queue = queue.Queue()
    to_sender: queue.Queue = queue.Queue()
    errors: list[BaseException] = []

    def pump(gen, out):
        try:
            for packet in gen:
                out.put(packet)
        except BaseException as exc:
            errors.append(exc)
        out.put(None)

    threads = [
        threading.Thread(
            target=pump, args=(_decoded(filesync.send(src, filt, _feed(to_sender))), to_receiver)
        ),
        threading.Thread(target=pump, args=(filesync.receive_dir(dest, _feed(to_receiver)), to_sender)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors


def _tree(root: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            out[rel] = ("dir", stat.S_IMODE(path.stat().st_mode))
        else:
            out[rel] = ("file", path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return out


def _sample(root: Path) -> None:
    (root / "b" / "deep").mkdir(parents=True)
    (root / "a.txt").write_text("alpha")
    (root / "b" / "deep" / "big.bin").write_bytes(os.urandom(3 * filesync.DATA_CHUNK + 17))
    (root / "b" / "empty").write_bytes(b"")
    (root / "run.sh").write_text("#!/bin/sh\n")
    (root / "run.sh").chmod(0o755)
    (root / "link").symlink_to("a.txt")


def test_roundtrip_keeps_contents_modes_and_links(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.mkdir()
    _sample(src)
    _roundtrip(src, dest)
    assert _tree(dest) == _tree(src)


def test_filters_apply_on_the_sending_side(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.mkdir()
    _sample(src)
    _roundtrip(src, dest, PathFilter(include=("b/**",), exclude=("b/empty",)))
    assert sorted(_tree(dest)) == ["b", "b/deep", "b/deep/big.bin"]


def test_hard_links_travel_as_links_to_the_first_path_sent(tmp_path):
    """A second name of an inode goes as a link (no bytes asked for) and arrives as the same inode; when a
    filter drops the first name, the first name that is sent carries the bytes instead."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    (src / "d").mkdir(parents=True)
    (src / "a.bin").write_bytes(b"x" * 5000)
    (src / "d" / "b.bin").hardlink_to(src / "a.bin")
    (src / "d" / "c.bin").hardlink_to(src / "a.bin")
    entries = {e.rel: e for e in filesync.walk(src, PathFilter())}
    assert entries["d/b.bin"].stat.linkname == "a.bin" and entries["d/b.bin"].stat.size == 0
    assert not entries["d/b.bin"].is_regular and entries["a.bin"].is_regular
    _roundtrip(src, dest)
    assert _tree(dest) == _tree(src)
    assert os.stat(dest / "a.bin").st_ino == os.stat(dest / "d" / "c.bin").st_ino
    only_d = {e.rel: e for e in filesync.walk(src, PathFilter(include=("d/**",)))}
    assert only_d["d/b.bin"].is_regular and only_d["d/c.bin"].stat.linkname == "d/b.bin"


def test_walk_order_is_bytewise_depth_first(tmp_path):
    for name in ("b", "a.b", "a", "A", "a/z", "a/c"):
        (tmp_path / name).mkdir(parents=True, exist_ok=True)
    order = [e.rel for e in filesync.walk(tmp_path, PathFilter())]
    assert order == ["A", "a", "a/c", "a/z", "a.b", "b"]


def test_hand_written_packets_are_the_bytes_protobuf_writes():
    P = filesync.Packet
    stat = filesync.types_pb2.Stat(path="a/b", mode=0o644, size=300, modTime=1_700_000_000_000_000_000)
    assert filesync.stat_packet(stat) == P(type=filesync.STAT, stat=stat).SerializeToString()
    assert filesync.stat_packet(None) == P(type=filesync.STAT).SerializeToString()
    for file_id, data in ((0, b""), (7, b""), (300, b"x" * 200), (2**20, os.urandom(70_000))):
        assert (
            filesync.data_packet(file_id, data)
            == P(type=filesync.DATA, ID=file_id, data=data).SerializeToString()
        )
    assert P(type=filesync.FIN).SerializeToString() == filesync.FIN_PACKET
    assert filesync.error_packet("boom") == P(type=filesync.ERR, data=b"boom").SerializeToString()


def test_go_file_modes():
    assert filesync.go_mode(stat.S_IFDIR | 0o755) == filesync.GO_DIR | 0o755
    assert filesync.go_mode(stat.S_IFLNK | 0o777) == filesync.GO_SYMLINK | 0o777
    assert filesync.go_mode(stat.S_IFREG | 0o4755) == filesync.GO_SETUID | 0o755
    assert filesync.posix_perm(filesync.GO_SETUID | 0o755) == 0o4755


def test_a_file_that_cannot_be_read_ends_the_transfer_with_an_error(tmp_path):
    (tmp_path / "gone.txt").write_text("soon deleted")
    requests: queue.Queue = queue.Queue()
    sender = _decoded(filesync.send(tmp_path, PathFilter(), _feed(requests)))
    first = next(sender)
    assert first.stat.path == "gone.txt"
    assert not next(sender).HasField("stat")  # end of the listing
    (tmp_path / "gone.txt").unlink()
    requests.put(filesync.Packet(type=filesync.REQ, ID=0))
    error = next(sender)
    assert error.type == filesync.ERR
    assert b"cannot read" in error.data and b"gone.txt" in error.data
