#!/usr/bin/env bash
# Build, unit-test and package the VS Code extension (vscode-extension/) into vscode-extension/envbuild.vsix.
# npm reads the registry from the machine's npm configuration; the lock file names no registry host.
set -euo pipefail
cd "$(dirname "$0")/../vscode-extension"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "vscode.sh: installing nodejs and npm with apt" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error
npm run --silent compile
npm test
npx --no-install vsce package --skip-license --allow-missing-repository --out envbuild.vsix
