#!/usr/bin/env bash
# Rebuild envdlib.bundle from lib/: a one-commit git repository tagged v1, with fixed author and dates so the
# bundle (and the commit recorded in graph.json) is the same on every machine. Run after editing lib/.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=envbuild GIT_AUTHOR_EMAIL=examples@envbuild.invalid
export GIT_COMMITTER_NAME=envbuild GIT_COMMITTER_EMAIL=examples@envbuild.invalid
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
git init -q -b main "$work/envdlib"
cp lib/*.envd "$work/envdlib/"
git -C "$work/envdlib" add -A
git -C "$work/envdlib" -c commit.gpgsign=false commit -qm "envdlib: tensorboard and jupyter_lab"
git -C "$work/envdlib" tag v1
git -C "$work/envdlib" bundle create -q "$PWD/envdlib.bundle" --all
git bundle list-heads envdlib.bundle
