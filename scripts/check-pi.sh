#!/usr/bin/env bash
# The Pi install, proven without a Pi: an arm64 Debian root filesystem (mmdebstrap, run through
# qemu-user-static), scripts/install-pi.sh --in-chroot inside it with this checkout's files, then, as the
# groovebox user: the native modules load (wasm backend with SIMD), the box starts in simulation and says
# "ready", the panel is served over loopback, GENERATE on the panel brings a loop back, and SIGTERM stops it.
# Emulated timings mean nothing; pass/fail does. The last line is the summary; any failure exits non-zero.
# Usage: sudo bash scripts/check-pi.sh            run the check
#        bash scripts/check-pi.sh --inputs        list the install inputs (.ci/run decides with these)
# Environment: GROOVEBOX_CHECK_PI_SUITE (bookworm; trixie works too), GROOVEBOX_CHECK_PI_CACHE
#   (/var/cache/groovebox-check-pi), GROOVEBOX_CHECK_PI_MIRROR (http://deb.debian.org/debian).
# Cache: the bare root filesystem (per suite), and the one install-pi.sh completed in, kept under a hash of
# the install inputs; with the same inputs a run starts from that one (npm ci is skipped, the project is
# copied and built again), so a repeat takes minutes. Needs root, Debian's mmdebstrap and qemu-user-static
# (installed with apt when missing), the Debian mirror and the npm registry.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
# What the install on a Pi depends on: a change to any of these means the Pi install may have changed.
INSTALL_INPUTS=(
  package.json package-lock.json
  scripts/install-pi.sh scripts/fetch-node.sh scripts/check-native.mjs scripts/check-pi.sh scripts/panel-generate.mjs
  systemd hardware/config.txt
  # The code that loads the native modules (easymidi/@julusian/midi, i2c-bus, onoff/epoll,
  # node-web-audio-api, tfjs-backend-wasm).
  firmware-ts/outputs/midi/rtmidi-binding.ts firmware-ts/outputs/midi/easymidi-port.ts
  firmware-ts/devices/i2c/i2c-bus-driver.ts firmware-ts/devices/gpio/onoff-gpio.ts
  firmware-ts/outputs/audio/context.ts firmware-ts/ml/runtime.ts
)
if [ "${1:-}" = --inputs ]; then printf '%s\n' "${INSTALL_INPUTS[@]}"; exit 0; fi
[ $# -eq 0 ] || { echo "check-pi: unknown option \"$1\" (expected none, or --inputs)" >&2; exit 2; }

SUITE="${GROOVEBOX_CHECK_PI_SUITE:-bookworm}"
CACHE="${GROOVEBOX_CHECK_PI_CACHE:-/var/cache/groovebox-check-pi}"
MIRROR="${GROOVEBOX_CHECK_PI_MIRROR:-http://deb.debian.org/debian}"
BASE="$CACHE/base-$SUITE-arm64"
INSTALLED="$CACHE/installed-$SUITE-arm64"
ROOT="$CACHE/work-$SUITE-arm64"
LOGS="$CACHE/logs"
STARTED=$SECONDS
STAGE="setup"
SUMMARY=""
BOX_PID=""
MOUNTED=()

say() { printf 'check-pi: [%ss] %s\n' "$((SECONDS - STARTED))" "$*"; }
fail() { SUMMARY="check-pi: FAILED at $STAGE: $* (arm64 Debian $SUITE, ${SECONDS}s; logs in $LOGS)"; exit 1; }

unmount_all() {
  local i
  for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTED[i]}" 2>/dev/null || umount -l "${MOUNTED[i]}" 2>/dev/null || true
  done
  MOUNTED=()
}
finish() {
  local code=$?
  if [ -n "$BOX_PID" ] && kill -0 "$BOX_PID" 2>/dev/null; then kill -KILL "$BOX_PID" 2>/dev/null || true; fi
  unmount_all
  if [ -z "$SUMMARY" ]; then
    SUMMARY="check-pi: FAILED at $STAGE (exit code $code; arm64 Debian $SUITE, $((SECONDS - STARTED))s; logs in $LOGS)"
    [ "$code" -ne 0 ] || code=1
  fi
  printf '%s\n' "$SUMMARY"
  exit "$code"
}
trap finish EXIT
trap 'exit 130' INT TERM

# Removes a root filesystem folder, never while anything is mounted below it (a bound /dev would go too).
remove_tree() {
  [ -e "$1" ] || return 0
  if findmnt -rn -o TARGET | grep -q "^$1\(/\|$\)"; then fail "$1 still has mounts below it; not removing it"; fi
  rm -rf "$1"
}
mount_into() { # mount_into TARGET mount-args...
  local target="$1"; shift
  mkdir -p "$target"
  mount "$@" "$target"
  MOUNTED+=("$target")
}
# The network settings of this machine go into the chroot with the commands: proxies, the npm registry, and
# a CA bundle this machine trusts beyond Debian's (a TLS-inspecting proxy's), which curl and Node inside use.
NETWORK_ENV=()
for name in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY npm_config_registry; do
  [ -z "${!name:-}" ] || NETWORK_ENV+=("$name=${!name}")
done
# This machine's npm settings file is not in the chroot: its registry goes in by name (fetch-node.sh and npm
# inside use it; without one they use the public registry, as on a bare Pi).
if [ -z "${npm_config_registry:-}" ] && command -v npm >/dev/null; then
  HOST_REGISTRY="$(npm config get registry 2>/dev/null || true)"
  [ -z "$HOST_REGISTRY" ] || NETWORK_ENV+=("npm_config_registry=$HOST_REGISTRY")
fi
HOST_CA=""
for name in NODE_EXTRA_CA_CERTS CURL_CA_BUNDLE SSL_CERT_FILE; do
  if [ -n "${!name:-}" ] && [ -f "${!name}" ]; then HOST_CA="${!name}"; break; fi
done
CA_IN_ROOT=/etc/groovebox-check-pi/host-ca.crt
[ -z "$HOST_CA" ] || NETWORK_ENV+=("NODE_EXTRA_CA_CERTS=$CA_IN_ROOT" "CURL_CA_BUNDLE=$CA_IN_ROOT" "SSL_CERT_FILE=$CA_IN_ROOT")
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb "${NETWORK_ENV[@]}" "$@"; }
as_groovebox() {
  chroot "$ROOT" setpriv --reuid=groovebox --regid=groovebox --init-groups \
    /usr/bin/env -i PATH=/opt/groovebox-node/current/bin:/usr/bin:/bin HOME=/var/lib/groovebox MALLOC_ARENA_MAX=2 LANG=C.UTF-8 "$@"
}

[ "$(id -u)" -eq 0 ] || fail "run as root (mmdebstrap, chroot and mounts need it): sudo bash $0"
mkdir -p "$CACHE" "$LOGS"
exec 9>"$CACHE/lock"
flock -n 9 || { say "another check-pi holds $CACHE/lock; waiting for it"; flock 9; }

# --- tools: mmdebstrap and qemu-user-static from Debian; arm64 binaries run through binfmt_misc
STAGE="tools"
if ! command -v mmdebstrap >/dev/null || ! command -v update-binfmts >/dev/null \
  || { [ ! -e /usr/libexec/qemu-binfmt/aarch64-binfmt-P ] && ! command -v qemu-aarch64-static >/dev/null; }; then
  say "installing mmdebstrap and qemu-user-static (apt)"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mmdebstrap arch-test qemu-user-static binfmt-support
fi
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount binfmt_misc -t binfmt_misc /proc/sys/fs/binfmt_misc || fail "cannot mount binfmt_misc (a container without it cannot run arm64 binaries)"
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  command -v update-binfmts >/dev/null || fail "no qemu-aarch64 entry in binfmt_misc and no update-binfmts to add it (apt-get install binfmt-support)"
  update-binfmts --import qemu-aarch64 >/dev/null 2>&1 || true
fi
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null || fail "binfmt_misc has no enabled qemu-aarch64 entry"
# F (fix binary): the kernel opens qemu at registration, so it needs no copy inside the root filesystem.
grep -q '^flags:.*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 || fail "the qemu-aarch64 binfmt entry lacks the F flag (qemu would have to be inside the chroot)"

# --- the bare arm64 root filesystem (minbase, debootstrap's set: install-pi.sh installs everything else it needs).
# mmdebstrap, not debootstrap: it downloads with this machine's apt, in parallel, and unpacks the packages in a
# few dpkg calls: 416 s here under emulation, where debootstrap took 1261 s (on a busier day; docs/raspberry-pi.md).
STAGE="mmdebstrap"
BASE_KEY="mmdebstrap --mode=root --arch=arm64 --variant=minbase --include=ca-certificates $SUITE $MIRROR"
if [ ! -f "$BASE/.groovebox-check-pi-key" ] || [ "$(cat "$BASE/.groovebox-check-pi-key")" != "$BASE_KEY" ]; then
  say "building the arm64 Debian $SUITE root filesystem with mmdebstrap (emulated: slow the first time)"
  remove_tree "$BASE.tmp"
  nice -n 10 mmdebstrap --mode=root --arch=arm64 --variant=minbase --include=ca-certificates "$SUITE" "$BASE.tmp" "$MIRROR" 2>&1 \
    | tee "$LOGS/mmdebstrap.log" || fail "mmdebstrap: $(tail -n 1 "$LOGS/mmdebstrap.log")"
  printf '%s' "$BASE_KEY" >"$BASE.tmp/.groovebox-check-pi-key"
  remove_tree "$BASE"
  mv "$BASE.tmp" "$BASE"
else
  say "reusing the arm64 Debian $SUITE root filesystem in $BASE"
fi

# --- the install inputs' hash picks the cached installed root filesystem
STAGE="install inputs"
cd "$REPO"
git rev-parse --git-dir >/dev/null 2>&1 || fail "$REPO is not a git checkout (the files to install are the checkout's git ls-files)"
INSTALL_KEY="$( { printf '%s\n' "$BASE_KEY"; for input in "${INSTALL_INPUTS[@]}"; do
  if [ -d "$input" ]; then find "$input" -type f | LC_ALL=C sort | xargs -r sha256sum; elif [ -e "$input" ]; then sha256sum "$input"; else echo "missing $input"; fi
done; } | sha256sum | cut -d' ' -f1)"
remove_tree "$ROOT"
if [ -f "$INSTALLED/.groovebox-check-pi-key" ] && [ "$(cat "$INSTALLED/.groovebox-check-pi-key")" = "$INSTALL_KEY" ]; then
  CACHE_STATE="cached install ${INSTALL_KEY:0:12}"
  say "install inputs unchanged (${INSTALL_KEY:0:12}): starting from the root filesystem install-pi.sh completed in"
  cp -a --reflink=auto "$INSTALLED" "$ROOT"
else
  CACHE_STATE="fresh install ${INSTALL_KEY:0:12}"
  say "install inputs changed or never installed (${INSTALL_KEY:0:12}): installing from the bare root filesystem"
  cp -a --reflink=auto "$BASE" "$ROOT"
fi

# --- the checkout's files (tracked and new, not ignored) into the root filesystem, nothing from the network
STAGE="copy the checkout"
SRC_IN_ROOT=/root/groovebox-src
rm -rf "${ROOT:?}$SRC_IN_ROOT"
mkdir -p "$ROOT$SRC_IN_ROOT"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' file; do [ -f "$file" ] && printf '%s\0' "$file"; done \
  | tar --null -T - -cf - | tar -xf - -C "$ROOT$SRC_IN_ROOT"
say "copied $(find "$ROOT$SRC_IN_ROOT" -type f | wc -l) files of $REPO (git ls-files) to $SRC_IN_ROOT"

# --- mounts: what install-pi.sh and the box need from the kernel; the npm and apt download caches persist
STAGE="mounts"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
if [ -n "$HOST_CA" ]; then
  mkdir -p "$ROOT$(dirname "$CA_IN_ROOT")"
  cp "$HOST_CA" "$ROOT$CA_IN_ROOT"
  say "the chroot's curl and Node also trust $HOST_CA (this machine's CA bundle)"
fi
# No service starts inside the chroot when apt installs packages.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
mkdir -p "$CACHE/npm-cache" "$CACHE/apt-archives-$SUITE/partial"
mount_into "$ROOT/proc" -t proc proc
mount_into "$ROOT/sys" -t sysfs sysfs
mount_into "$ROOT/dev" --bind /dev
mount_into "$ROOT/dev/pts" --bind /dev/pts
mount_into "$ROOT/root/.npm" --bind "$CACHE/npm-cache"
mount_into "$ROOT/var/cache/apt/archives" --bind "$CACHE/apt-archives-$SUITE"
in_root /bin/true || fail "arm64 binaries do not run in $ROOT (binfmt_misc / qemu-user-static)"
[ "$(in_root uname -m)" = aarch64 ] || fail "the root filesystem does not run as aarch64 (uname -m says $(in_root uname -m))"

# --- install-pi.sh, as on a Pi, minus what a chroot cannot do
STAGE="install-pi.sh"
say "running scripts/install-pi.sh --in-chroot (output follows; log in $LOGS/install.log)"
in_root bash "$SRC_IN_ROOT/scripts/install-pi.sh" --in-chroot 2>&1 | tee "$LOGS/install.log" \
  || fail "install-pi.sh: $(grep -m1 'FAILED' "$LOGS/install.log" || tail -n 1 "$LOGS/install.log")"
NODE_VERSION="$(in_root /opt/groovebox-node/current/bin/node -p process.versions.node)"
if [[ "$CACHE_STATE" == fresh* ]]; then
  # Keep the root filesystem install-pi.sh completed in, for the next run with the same inputs.
  STAGE="saving the cache"
  unmount_all
  remove_tree "$INSTALLED.tmp"
  cp -a --reflink=auto "$ROOT" "$INSTALLED.tmp"
  printf '%s' "$INSTALL_KEY" >"$INSTALLED.tmp/.groovebox-check-pi-key"
  remove_tree "$INSTALLED"
  mv "$INSTALLED.tmp" "$INSTALLED"
  say "cached the installed root filesystem as $INSTALLED"
  mount_into "$ROOT/proc" -t proc proc
  mount_into "$ROOT/sys" -t sysfs sysfs
  mount_into "$ROOT/dev" --bind /dev
  mount_into "$ROOT/dev/pts" --bind /dev/pts
fi

# --- as the groovebox user: native modules and the wasm backend with SIMD
STAGE="native modules"
NATIVE="$(as_groovebox node /opt/groovebox/scripts/check-native.mjs /opt/groovebox 2>&1)" || fail "$(printf '%s\n' "$NATIVE" | tail -n 1)"
printf '%s\n' "$NATIVE"
printf '%s\n' "$NATIVE" | grep -q 'backend wasm, SIMD on' || fail "check-native did not report the wasm backend with SIMD"

# --- the box in simulation, as the service runs it (its user, its config), on a free loopback port
STAGE="start --simulate"
PORT=""
for candidate in $(seq 18080 18180); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then PORT=$candidate; break; fi
done
[ -n "$PORT" ] || fail "no free port in 18080..18180 on 127.0.0.1"
BOX_LOG="$LOGS/box.log"
say "starting the box: groovebox start --simulate --port $PORT (as groovebox; log in $BOX_LOG)"
# A plain command in the background (not a function): chroot, setpriv and env each exec the next, so $!
# is node itself and gets the SIGTERM.
chroot "$ROOT" setpriv --reuid=groovebox --regid=groovebox --init-groups \
  /usr/bin/env -i PATH=/opt/groovebox-node/current/bin:/usr/bin:/bin HOME=/var/lib/groovebox MALLOC_ARENA_MAX=2 LANG=C.UTF-8 \
  node --single-threaded-gc --expose-gc /opt/groovebox/dist/firmware-ts/cli/main.js \
  start --simulate --config /etc/groovebox/config.json --port "$PORT" >"$BOX_LOG" 2>&1 &
BOX_PID=$!
BOX_STARTED=$SECONDS
# Emulation is slow: the limit is generous, it only catches a box that never gets there.
READY_LIMIT=900
while ! grep -q 'ready in' "$BOX_LOG"; do
  if ! kill -0 "$BOX_PID" 2>/dev/null; then
    wait "$BOX_PID" && code=0 || code=$?
    BOX_PID=""
    fail "the box exited (code $code) before ready: $(tail -n 1 "$BOX_LOG")"
  fi
  [ $((SECONDS - BOX_STARTED)) -lt "$READY_LIMIT" ] || fail "no ready line within $READY_LIMIT s: $(tail -n 1 "$BOX_LOG")"
  sleep 2
done
say "$(grep -m1 'ready in' "$BOX_LOG")"

STAGE="panel"
PAGE="$(curl -fsS --max-time 60 "http://127.0.0.1:$PORT/")" || fail "GET http://127.0.0.1:$PORT/ failed"
printf '%s' "$PAGE" | grep -qi '<html' || fail "GET http://127.0.0.1:$PORT/ did not return the panel's page"
say "panel served: GET http://127.0.0.1:$PORT/ returned $(printf '%s' "$PAGE" | wc -c) bytes of HTML"

STAGE="generate"
GENERATED="$(as_groovebox node /opt/groovebox/scripts/panel-generate.mjs "$PORT" 600 2>&1)" || fail "$GENERATED"
say "$GENERATED"
curl -fsS --max-time 60 -o "$LOGS/export.mid" "http://127.0.0.1:$PORT/export.mid" || fail "GET /export.mid failed after generating"
[ "$(head -c 4 "$LOGS/export.mid")" = MThd ] || fail "GET /export.mid did not return a MIDI file"

STAGE="SIGTERM"
kill -TERM "$BOX_PID"
STOP_WAITED=0
while kill -0 "$BOX_PID" 2>/dev/null; do
  sleep 1
  STOP_WAITED=$((STOP_WAITED + 1))
  [ "$STOP_WAITED" -lt 120 ] || fail "the box was still running 120 s after SIGTERM"
done
wait "$BOX_PID" && STOP_CODE=0 || STOP_CODE=$?
BOX_PID=""
[ "$STOP_CODE" -eq 0 ] || fail "the box exited with code $STOP_CODE after SIGTERM: $(tail -n 1 "$BOX_LOG")"
say "stopped by SIGTERM (exit code 0): $(tail -n 1 "$BOX_LOG")"

STAGE="cleanup"
unmount_all
remove_tree "$ROOT"
SUMMARY="check-pi: ok: arm64 Debian $SUITE, Node $NODE_VERSION, $CACHE_STATE: install-pi.sh passed, native modules load (wasm SIMD on), box ready, panel served, loop generated, stopped by SIGTERM ($((SECONDS - STARTED))s emulated)"
