#!/usr/bin/env bash
# Installs the groove box on a Raspberry Pi (Raspberry Pi OS bookworm or trixie, arm64) from this checkout:
#   build tools (apt), Node 24 LTS with its headers and npm from the npm registry in /opt/groovebox-node,
#   the project in /opt/groovebox (npm ci with every native addon built against that very Node, build),
#   the `groovebox` user (groups gpio, i2c, audio), I2C and the GPIO pulls, the snd-seq module,
#   /etc/groovebox/config.json, the systemd unit; then a check, as the groovebox user, that every native
#   module loads and the box generates a loop, before the service is (re)started.
# Idempotent: run it again after a `git pull` to update; the config and the slots are kept, and npm ci
# runs again only when package-lock.json or the Node version changed.
# Usage: sudo scripts/install-pi.sh [--in-chroot]
#   --in-chroot  skip what a chroot cannot do: raspi-config, /boot/firmware/config.txt, modprobe and
#                systemctl (scripts/check-pi.sh installs into an emulated arm64 root filesystem with it)
# Downloads only from the Debian mirrors (apt) and the npm registry (Node, npm, the dependencies).
# The README's "On the Raspberry Pi" lists the same steps, to do by hand.
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
DEST=/opt/groovebox
NODE_HOME=/opt/groovebox-node
CONFIG_DIR=/etc/groovebox
STATE_DIR=/var/lib/groovebox
STEPS=8
IN_CHROOT=0
for arg in "$@"; do
  case "$arg" in
    --in-chroot) IN_CHROOT=1 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'install-pi: unknown option "%s" (expected --in-chroot or --help)\n' "$arg" >&2; exit 2 ;;
  esac
done

STARTED=$SECONDS
step() { printf '\ninstall-pi: [%s/%s, %ss] %s\n' "$1" "$STEPS" "$((SECONDS - STARTED))" "$2"; }
say() { printf 'install-pi: %s\n' "$*"; }
die() { printf 'install-pi: FAILED: %s\n' "$*" >&2; exit 1; }
skipped() { say "skipped in a chroot: $*"; }
[ "$(id -u)" -eq 0 ] || die "run as root: sudo $0"
[ -f "$SRC/package-lock.json" ] || die "$SRC is not a groovebox checkout (no package-lock.json)"

# --- 1. system packages: compilers for the native addons (i2c-bus, epoll), ALSA headers, i2c-tools, curl for Node,
# alsa-utils (arecord for the microphone pad, aplay -l for the sound card look-ups)
step 1 "build tools, ALSA headers and utilities, i2c-tools, curl (apt)"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends build-essential python3 libasound2-dev alsa-utils i2c-tools rsync ca-certificates curl

# --- 2. Node: the pinned LTS build, its headers and npm, from the npm registry (scripts/fetch-node.sh)
step 2 "Node 24 LTS with its headers and npm from the npm registry, in $NODE_HOME"
NODE_DIR="$(bash "$SRC/scripts/fetch-node.sh" "$NODE_HOME")"
ln -sfn "$NODE_DIR" "$NODE_HOME/current"
for tool in node npm npx; do ln -sf "$NODE_HOME/current/bin/$tool" "/usr/local/bin/$tool"; done
export PATH="$NODE_HOME/current/bin:$PATH"
hash -r
# node-gyp builds against these headers (not Debian's, not a download from nodejs.org), so every
# addon matches the Node that loads it; npm's own node-gyp does not link -lnode as Debian's does.
export npm_config_nodedir="$NODE_HOME/current"
NODE_VERSION="$(node -p process.versions.node)"
say "Node $NODE_VERSION ($(command -v node)), npm $(npm --version), headers in $npm_config_nodedir/include/node"

# --- 3. the user and its groups
step 3 "the groovebox user (groups gpio, i2c, audio)"
for group in gpio i2c audio; do getent group "$group" >/dev/null || groupadd --system "$group"; done
if ! id groovebox >/dev/null 2>&1; then
  say "creating user groovebox"
  useradd --system --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin --user-group groovebox
fi
usermod -a -G gpio,i2c,audio groovebox

# --- 4. the project: copied to /opt/groovebox (owned by root, read-only for the service), dependencies, build
step 4 "the project in $DEST: npm ci, build"
mkdir -p "$DEST"
rsync -a --delete \
  --exclude node_modules --exclude dist --exclude .git --exclude .cache --exclude .state \
  --exclude 'models/*/checkpoint' --exclude test-artifacts --exclude bench/tmp \
  "$SRC"/ "$DEST"/
cd "$DEST"
# What the installed node_modules were built from; the same again means npm ci has nothing to do.
STAMP="$DEST/node_modules/.groovebox-install"
# "scripts-allowed" names the way node_modules is made (below): an install made the old way is made again.
WANT_STAMP="$(sha256sum package-lock.json | cut -d' ' -f1) node $NODE_VERSION $(uname -m) scripts-allowed"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT_STAMP" ]; then
  say "package-lock.json and Node $NODE_VERSION unchanged since the last install: keeping node_modules"
else
  # Everything in the lockfile (checked against its integrity hashes), no install script run yet. Not
  # --omit=optional: that would also drop @esbuild/linux-arm64, esbuild's binary (an optional dependency of
  # esbuild), which the build needs for the panel page.
  say "npm ci: downloads the dependencies (install scripts run next, only the allowed ones)"
  npm ci --ignore-scripts --no-audit --no-fund
  # tfjs-node's install script would download libtensorflow from Google: the box runs tfjs on wasm. Without it
  # the box loads exactly what --omit=optional would have left (its own dependencies stay, unused).
  rm -rf node_modules/@tensorflow/tfjs-node
  # The install scripts package.json's allowScripts allows: the native addons (i2c-bus and epoll compile,
  # @julusian/midi checks its prebuilt binary), against the headers of npm_config_nodedir.
  mapfile -t ALLOWED < <(node -e 'for (const [name, ok] of Object.entries(require("./package.json").allowScripts ?? {})) if (ok === true) console.log(name)')
  [ "${#ALLOWED[@]}" -gt 0 ] || die "package.json allows no install scripts (allowScripts): the native addons would not be built"
  say "npm rebuild ${ALLOWED[*]}: compiles the native addons (a few minutes on a Pi; compiler output follows)"
  npm rebuild --foreground-scripts "${ALLOWED[@]}"
  echo "$WANT_STAMP" >"$STAMP"
fi
say "npm run build (tsc)"
npm run -s build
chown -R root:root "$DEST"
for model in ag11 ag2 baseline; do
  [ -f "$DEST/models/$model/manifest.json" ] || say "warning: no trained model in models/$model (the box plays the score as programmed until one is there)"
done

# --- 5. I2C, GPIO pulls, ALSA sequencer
step 5 "I2C, the GPIO pull-ups, the ALSA sequencer"
mkdir -p /etc/modules-load.d
echo i2c-dev >/etc/modules-load.d/groovebox.conf
echo snd-seq >>/etc/modules-load.d/groovebox.conf
BOOT_CONFIG=/boot/firmware/config.txt
[ -f "$BOOT_CONFIG" ] || BOOT_CONFIG=/boot/config.txt
if [ "$IN_CHROOT" = 1 ]; then
  skipped "raspi-config nonint do_i2c 0, appending hardware/config.txt to $BOOT_CONFIG, modprobe i2c-dev snd-seq"
else
  if command -v raspi-config >/dev/null 2>&1; then
    raspi-config nonint do_i2c 0
  fi
  if [ -f "$BOOT_CONFIG" ] && ! grep -q '^# --- groovebox' "$BOOT_CONFIG"; then
    say "adding the I2C and GPIO lines of hardware/config.txt to $BOOT_CONFIG (reboot to apply)"
    cp "$BOOT_CONFIG" "$BOOT_CONFIG.before-groovebox"
    { echo; cat "$DEST/hardware/config.txt"; } >>"$BOOT_CONFIG"
  fi
  modprobe i2c-dev 2>/dev/null || say "modprobe i2c-dev failed (it loads at the next boot)"
  modprobe snd-seq 2>/dev/null || say "modprobe snd-seq failed (it loads at the next boot)"
fi

# --- 6. config (kept when present: it is the performer's), state folder, unit file
step 6 "config, state folder, systemd unit file"
mkdir -p "$CONFIG_DIR"
if [ ! -f "$CONFIG_DIR/config.json" ]; then
  install -m 0644 "$DEST/systemd/config.json" "$CONFIG_DIR/config.json"
  say "installed $CONFIG_DIR/config.json"
else
  say "keeping $CONFIG_DIR/config.json"
fi
install -d -m 0750 -o groovebox -g groovebox "$STATE_DIR"
install -m 0644 "$DEST/systemd/groovebox.service" /etc/systemd/system/groovebox.service

# --- 7. the check, as the service's user: every native module loads under this Node, the CLI runs, a loop comes out.
# A failure here stops the install before the service is started: one line naming what broke, no restart loop.
step 7 "check: native modules, groovebox --help, one generated loop (as the groovebox user)"
as_groovebox() {
  setpriv --reuid=groovebox --regid=groovebox --init-groups \
    env -i PATH="$NODE_HOME/current/bin:/usr/bin:/bin" HOME="$STATE_DIR" MALLOC_ARENA_MAX=2 "$@"
}
as_groovebox node "$DEST/scripts/check-native.mjs" "$DEST" || die "a native module does not load (the line above names it)"
CLI="$DEST/dist/firmware-ts/cli/main.js"
as_groovebox node --single-threaded-gc --expose-gc "$CLI" --help >/dev/null || die "groovebox --help exited with an error"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
chown groovebox:groovebox "$WORK"
if ! as_groovebox node --single-threaded-gc --expose-gc "$CLI" generate --seed 1 --out "$WORK/loop.mid" >"$WORK/generate.log" 2>&1; then
  die "groovebox generate: $(tail -n 1 "$WORK/generate.log")"
fi
[ -s "$WORK/loop.mid" ] || die "groovebox generate wrote no loop ($WORK/loop.mid is empty)"
say "ok: generated one loop ($(stat -c %s "$WORK/loop.mid") bytes of MIDI): $(grep -m1 'backend' "$WORK/generate.log" || tail -n 1 "$WORK/generate.log")"

# --- 8. the service
step 8 "the service"
if [ "$IN_CHROOT" = 1 ]; then
  skipped "systemctl daemon-reload, enable and restart groovebox.service"
  say "installed (chroot: not started)"
else
  systemctl daemon-reload
  systemctl enable groovebox.service
  systemctl restart groovebox.service
  say "started; follow it with: journalctl -u groovebox -f"
  if [ ! -e /dev/i2c-1 ]; then say "I2C is not active yet: reboot once (sudo reboot)"; fi
fi
