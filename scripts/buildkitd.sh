#!/usr/bin/env bash
# Standalone BuildKit for the tests, when the test fixtures ../shared/bin/buildkitd and buildctl sit beside the
# checkout (CI has them; a user's machine usually does not, and then the standalone tests skip and say why):
#   - a rootful buildkitd (Debian's runc) on its own socket and state dir;
#   - a rootless buildkitd under rootlesskit, run by an unprivileged user this script creates (with
#     /etc/subuid and /etc/subgid entries), on the user's $XDG_RUNTIME_DIR/buildkit/buildkitd.sock;
#   - a local image for `docker-container` builders: debian:bookworm + Debian's runc + these binaries, never
#     pushed anywhere (the tests create the container from it through `envbuild context create`).
# Both daemons reach the plain-HTTP registry on 127.0.0.1:5000 (buildkitd.toml) and allow the insecure
# entitlements the tests ask for. What was started is written to $ADDRESSES (JSON), the one place tests read
# addresses from. Idempotent: a daemon that answers is left alone. Called by scripts/backend.sh, as root.
set -euo pipefail

CHECKOUT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "$CHECKOUT/.." && pwd)/shared/bin
STATE_DIR=/var/lib/envbuild-backend
LOG_DIR=/var/log/envbuild-backend
ADDRESSES=$STATE_DIR/buildkitd.json
ROOTFUL_DIR=/var/lib/envbuild-buildkitd
ROOTFUL_SOCK=/run/envbuild-buildkitd/buildkitd.sock
ROOTLESS_USER=envbuild-rootless
CONTAINER_IMAGE=localhost/envbuild-test-buildkit:v0.26.3
REGISTRY_ADDR=127.0.0.1:5000
ENTITLEMENTS=(--allow-insecure-entitlement network.host --allow-insecure-entitlement security.insecure)

say() { printf 'buildkitd: %s\n' "$*" >&2; }

if [ ! -x "$BIN/buildkitd" ] || [ ! -x "$BIN/buildctl" ]; then
  say "no $BIN/buildkitd and buildctl: no standalone BuildKit here (those tests will skip)"
  rm -f "$ADDRESSES"
  exit 0
fi
mkdir -p "$STATE_DIR" "$LOG_DIR"

answers() { "$BIN/buildctl" --addr "unix://$1" --timeout 3 debug workers >/dev/null 2>&1; }

wait_for() { # socket, log, what
  for _ in $(seq 1 100); do answers "$1" && return; sleep 0.2; done
  tail -n 30 "$2" >&2
  say "$3 did not answer on $1 within 20 s"
  exit 1
}

install_packages() {
  if command -v runc >/dev/null && command -v rootlesskit >/dev/null && command -v newuidmap >/dev/null \
     && command -v slirp4netns >/dev/null && command -v setpriv >/dev/null; then
    return
  fi
  say "installing runc, rootlesskit, uidmap, slirp4netns"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    runc rootlesskit uidmap slirp4netns util-linux >"$LOG_DIR/apt-buildkitd.log" 2>&1 \
    || { tail -n 30 "$LOG_DIR/apt-buildkitd.log" >&2; exit 1; }
}

registry_config() {
  printf '[registry."%s"]\n  http = true\n' "$REGISTRY_ADDR"
}

start_rootful() {
  answers "$ROOTFUL_SOCK" && return
  mkdir -p "$ROOTFUL_DIR/root" "$(dirname "$ROOTFUL_SOCK")"
  registry_config >"$ROOTFUL_DIR/buildkitd.toml"
  rm -f "$ROOTFUL_SOCK"
  say "starting rootful buildkitd on $ROOTFUL_SOCK"
  setsid nohup "$BIN/buildkitd" --config "$ROOTFUL_DIR/buildkitd.toml" --root "$ROOTFUL_DIR/root" \
    --addr "unix://$ROOTFUL_SOCK" --otel-socket-path "$ROOTFUL_DIR/otel-grpc.sock" \
    --oci-worker-net=host --oci-worker-binary "$(command -v runc)" \
    "${ENTITLEMENTS[@]}" >"$LOG_DIR/buildkitd-rootful.log" 2>&1 </dev/null &
  wait_for "$ROOTFUL_SOCK" "$LOG_DIR/buildkitd-rootful.log" "rootful buildkitd"
}

rootless_user() {
  if ! id "$ROOTLESS_USER" >/dev/null 2>&1; then
    say "creating the unprivileged user $ROOTLESS_USER"
    useradd --create-home --shell /bin/bash "$ROOTLESS_USER"
  fi
  local file
  for file in /etc/subuid /etc/subgid; do
    touch "$file"
    grep -q "^$ROOTLESS_USER:" "$file" && continue
    # the first 65536 ids above every range already given out
    local start
    start=$(awk -F: 'BEGIN { m = 100000 } { if ($2 + $3 > m) m = $2 + $3 } END { print m }' "$file")
    echo "$ROOTLESS_USER:$start:65536" >>"$file"
  done
}

start_rootless() {
  rootless_user
  local uid home runtime sock
  uid=$(id -u "$ROOTLESS_USER")
  home=$(getent passwd "$ROOTLESS_USER" | cut -d: -f6)
  runtime=/run/user/$uid
  sock=$runtime/buildkit/buildkitd.sock
  ROOTLESS_SOCK=$sock
  answers "$sock" && return
  install -d -m 700 -o "$ROOTLESS_USER" -g "$ROOTLESS_USER" "$runtime"
  install -d -m 755 -o "$ROOTLESS_USER" -g "$ROOTLESS_USER" "$home/.config" "$home/.config/buildkit"
  registry_config >"$home/.config/buildkit/buildkitd.toml"
  chown "$ROOTLESS_USER:" "$home/.config/buildkit/buildkitd.toml"
  say "starting rootless buildkitd as $ROOTLESS_USER on $sock"
  # rootlesskit's default network is the host's: steps reach the registry on 127.0.0.1 as rootful ones do.
  (cd / && setsid nohup setpriv --reuid "$ROOTLESS_USER" --regid "$ROOTLESS_USER" --init-groups \
    env -i HOME="$home" USER="$ROOTLESS_USER" XDG_RUNTIME_DIR="$runtime" PATH=/usr/bin:/bin:/usr/sbin:/sbin \
    rootlesskit --copy-up=/etc "$BIN/buildkitd" --oci-worker-net=host "${ENTITLEMENTS[@]}" \
    >"$LOG_DIR/buildkitd-rootless.log" 2>&1 </dev/null &)
  wait_for "$sock" "$LOG_DIR/buildkitd-rootless.log" "rootless buildkitd"
}

build_container_image() {
  docker image inspect "$CONTAINER_IMAGE" >/dev/null 2>&1 && return
  say "building $CONTAINER_IMAGE (local only) from debian:bookworm, Debian's runc and $BIN"
  # The context is the read-only fixture dir itself; the Dockerfile comes on stdin.
  docker build --quiet --tag "$CONTAINER_IMAGE" --file - "$BIN" >"$LOG_DIR/buildkit-image.log" 2>&1 <<'DOCKERFILE' \
    || { tail -n 30 "$LOG_DIR/buildkit-image.log" >&2; exit 1; }
FROM docker.io/library/debian:bookworm
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends runc \
    && rm -rf /var/lib/apt/lists/*
COPY buildkitd buildctl /usr/local/bin/
VOLUME /var/lib/buildkit
ENTRYPOINT ["buildkitd"]
DOCKERFILE
}

write_addresses() {
  local tmp=$ADDRESSES.tmp
  cat >"$tmp" <<JSON
{
  "rootful": "unix://$ROOTFUL_SOCK",
  "rootless": "unix://$ROOTLESS_SOCK",
  "rootless_user": "$ROOTLESS_USER",
  "container_image": "$CONTAINER_IMAGE",
  "bin": "$BIN"
}
JSON
  mv "$tmp" "$ADDRESSES"
}

install_packages
start_rootful
start_rootless
build_container_image
write_addresses
say "ready: rootful unix://$ROOTFUL_SOCK, rootless unix://$ROOTLESS_SOCK, image $CONTAINER_IMAGE"
