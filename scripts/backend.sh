#!/usr/bin/env bash
# Bring up the real BuildKit worker the tests (and a fresh machine) use: Docker Engine 26 from Debian trixie
# with the containerd image store, a debootstrapped base image, and a local registry on 127.0.0.1:5000.
# Idempotent: every step checks first, so a second run on a ready machine takes about a second.
set -euo pipefail

LOG_DIR=/var/log/envbuild-backend
STATE_DIR=/var/lib/envbuild-backend
BASE_IMAGE=docker.io/library/debian:bookworm
REGISTRY_ADDR=127.0.0.1:5000
SOCK=/var/run/docker.sock
mkdir -p "$LOG_DIR" "$STATE_DIR"

say() { printf 'backend: %s\n' "$*" >&2; }

need_root() {
  if [ "$(id -u)" != 0 ]; then say "run as root (it installs packages and starts dockerd)"; exit 1; fi
}

# The mirror apt already uses on this machine (never a host named in this file).
debian_mirror() { python3 "$(dirname "$0")/debian_mirror.py"; }

ping_docker() { curl -fsS --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1; }

install_packages() {
  if command -v dockerd >/dev/null && command -v debootstrap >/dev/null && [ -x /usr/libexec/docker/cli-plugins/docker-buildx ] \
     && command -v docker-registry >/dev/null && command -v curl >/dev/null; then
    return
  fi
  # trixie is added at priority 100 so nothing else is upgraded; only the three docker packages come from it.
  if [ ! -f /etc/apt/sources.list.d/envbuild-trixie.sources ]; then
    local mirror
    mirror=$(debian_mirror)
    cat >/etc/apt/sources.list.d/envbuild-trixie.sources <<SRC
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    cat >/etc/apt/preferences.d/envbuild-trixie <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
  fi
  say "installing docker.io and docker-buildx (trixie), debootstrap, docker-registry"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    docker.io/trixie docker-cli/trixie containerd/trixie docker-buildx/trixie \
    debootstrap docker-registry curl iptables git openssh-client >"$LOG_DIR/apt.log" 2>&1 \
    || { tail -n 30 "$LOG_DIR/apt.log" >&2; exit 1; }
}

uplink_mtu() {
  local dev
  dev=$(awk '$2 == "00000000" { print $1; exit }' /proc/net/route)
  if [ -n "$dev" ] && [ -r "/sys/class/net/$dev/mtu" ]; then cat "/sys/class/net/$dev/mtu"; else echo 1500; fi
}

write_daemon_json() {
  local want
  want=$(printf '{\n  "features": {"containerd-snapshotter": true},\n  "mtu": %s\n}\n' "$(uplink_mtu)")
  mkdir -p /etc/docker
  if [ ! -f /etc/docker/daemon.json ] || [ "$(cat /etc/docker/daemon.json)" != "$want" ]; then
    printf '%s' "$want" >/etc/docker/daemon.json
    if ping_docker; then
      say "daemon.json changed: restarting dockerd"
      pkill -x dockerd || true
      for _ in $(seq 1 50); do pgrep -x dockerd >/dev/null || break; sleep 0.2; done
    fi
  fi
}

start_dockerd() {
  ping_docker && return
  say "starting dockerd"
  setsid nohup dockerd >"$LOG_DIR/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 150); do ping_docker && return; sleep 0.2; done
  tail -n 30 "$LOG_DIR/dockerd.log" >&2
  say "dockerd did not answer on $SOCK within 30 s"
  exit 1
}

make_base_image() {
  docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return
  local tarball="$STATE_DIR/debian-bookworm-minbase.tar"
  if [ ! -s "$tarball" ]; then
    say "debootstrapping $BASE_IMAGE (about a minute)"
    local root
    root=$(mktemp -d /var/tmp/envbuild-rootfs.XXXXXX)
    debootstrap --variant=minbase bookworm "$root" "$(debian_mirror)" >"$LOG_DIR/debootstrap.log" 2>&1 \
      || { tail -n 30 "$LOG_DIR/debootstrap.log" >&2; rm -rf "$root"; exit 1; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" --numeric-owner -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  say "importing $BASE_IMAGE"
  docker import --change 'CMD ["bash"]' "$tarball" "$BASE_IMAGE" >/dev/null
}

start_registry() {
  curl -fsS --max-time 2 "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1 && return
  cat >"$STATE_DIR/registry.yml" <<CFG
version: 0.1
storage:
  filesystem:
    rootdirectory: $STATE_DIR/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
CFG
  say "starting docker-registry on $REGISTRY_ADDR"
  setsid nohup docker-registry serve "$STATE_DIR/registry.yml" >"$LOG_DIR/registry.log" 2>&1 </dev/null &
  for _ in $(seq 1 50); do
    curl -fsS --max-time 2 "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1 && return
    sleep 0.2
  done
  tail -n 30 "$LOG_DIR/registry.log" >&2
  say "registry did not answer on $REGISTRY_ADDR"
  exit 1
}

need_root
install_packages
write_daemon_json
start_dockerd
make_base_image
start_registry
say "ready: dockerd on $SOCK (containerd image store), $BASE_IMAGE, registry $REGISTRY_ADDR"
# standalone and rootless BuildKit, when the test fixtures ../shared/bin/buildkitd and buildctl exist
bash "$(dirname "$0")/buildkitd.sh"
