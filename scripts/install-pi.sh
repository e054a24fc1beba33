#!/usr/bin/env bash
# Installs the groove box on a Raspberry Pi (Raspberry Pi OS / Debian, arm64) from this checkout:
#   Node >= 20.19 (Debian packages, or the npm registry's node build when Debian's is older),
#   the project in /opt/groovebox (npm ci, build), I2C and the GPIO pulls, the snd-seq module,
#   the `groovebox` user (groups gpio, i2c, audio), /etc/groovebox/config.json, the systemd unit.
# Idempotent: run it again after a `git pull` to update; the config and the slots are kept.
# Usage: sudo scripts/install-pi.sh
# Downloads only from the Debian mirrors (apt) and the npm registry (npm).
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
DEST=/opt/groovebox
CONFIG_DIR=/etc/groovebox
STATE_DIR=/var/lib/groovebox
NODE_MIN=20.19.0

say() { printf 'install-pi: %s\n' "$*"; }
die() { printf 'install-pi: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root: sudo $0"

version_ok() { # version >= NODE_MIN ?
  [ "$(printf '%s\n%s\n' "$NODE_MIN" "$1" | sort -V | head -n1)" = "$NODE_MIN" ]
}
node_version() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node' 2>/dev/null || echo 0; }

# --- 1. system packages: compilers for the native modules (i2c-bus, epoll, @julusian/midi), ALSA headers, i2c-tools
say "installing build tools and ALSA headers (apt)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential python3 libasound2-dev i2c-tools rsync ca-certificates systemd >/dev/null

# --- 2. Node >= 20.19: Debian's when it is new enough (trixie), else the npm registry's build (bookworm ships 18)
if ! version_ok "$(node_version)"; then
  candidate="$(apt-cache policy nodejs | awk '/Candidate:/ {print $2}' | sed 's/^[0-9]*://; s/[-+~].*//')"
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && version_ok "$candidate"; then
    say "installing Node $candidate from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm libnode-dev >/dev/null
  else
    say "Debian's Node ($candidate) is older than $NODE_MIN: installing Node 20 from the npm registry (package \"node\")"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    # The "node" package fetches the matching node-linux-<arch> build, also from the npm registry.
    npm install -g --prefix /usr/local "node@^20.19.0" >/dev/null
    hash -r
  fi
fi
NODE="$(command -v node)"
version_ok "$(node_version)" || die "Node $(node_version) at $NODE is older than $NODE_MIN"
say "Node $(node_version) at $NODE"

# node-gyp builds against local headers instead of downloading them from nodejs.org.
NODE_PREFIX="$(dirname "$(dirname "$(readlink -f "$NODE")")")"
if [ -f "$NODE_PREFIX/include/node/node.h" ]; then
  export npm_config_nodedir="$NODE_PREFIX"
elif [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
else
  die "no Node headers found (looked in $NODE_PREFIX/include/node and /usr/include/node); install libnode-dev"
fi
# @julusian/midi would fetch a prebuilt binary from GitHub: build it here instead.
export npm_config_build_from_source=true

# --- 3. the user and its groups
for group in gpio i2c audio; do getent group "$group" >/dev/null || groupadd --system "$group"; done
if ! id groovebox >/dev/null 2>&1; then
  say "creating user groovebox"
  useradd --system --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin --user-group groovebox
fi
usermod -a -G gpio,i2c,audio groovebox

# --- 4. the project: copied to /opt/groovebox (owned by root, read-only for the service), dependencies, build
say "copying the project to $DEST"
mkdir -p "$DEST"
rsync -a --delete \
  --exclude node_modules --exclude dist --exclude .git --exclude .cache --exclude .state \
  --exclude 'models/*/checkpoint' --exclude test-artifacts --exclude bench/tmp \
  "$SRC"/ "$DEST"/
cd "$DEST"
say "npm ci (native modules are compiled here; this takes a few minutes on a Pi)"
# tfjs-node (optional) would download libtensorflow from Google: the box runs tfjs on wasm instead.
npm ci --omit=optional --no-audit --no-fund
npm run -s build
chown -R root:root "$DEST"
for model in ag11 ag2 baseline; do
  [ -f "$DEST/models/$model/manifest.json" ] || say "warning: no trained model in models/$model (the box plays the score as programmed until one is there)"
done

# --- 5. I2C, GPIO pulls, ALSA sequencer
if command -v raspi-config >/dev/null 2>&1; then
  raspi-config nonint do_i2c 0
fi
BOOT_CONFIG=/boot/firmware/config.txt
[ -f "$BOOT_CONFIG" ] || BOOT_CONFIG=/boot/config.txt
if [ -f "$BOOT_CONFIG" ] && ! grep -q '^# --- groovebox' "$BOOT_CONFIG"; then
  say "adding the I2C and GPIO lines of hardware/config.txt to $BOOT_CONFIG (reboot to apply)"
  cp "$BOOT_CONFIG" "$BOOT_CONFIG.before-groovebox"
  { echo; cat "$DEST/hardware/config.txt"; } >>"$BOOT_CONFIG"
fi
echo i2c-dev >/etc/modules-load.d/groovebox.conf
echo snd-seq >>/etc/modules-load.d/groovebox.conf
modprobe i2c-dev 2>/dev/null || true
modprobe snd-seq 2>/dev/null || true

# --- 6. config (kept when present: it is the performer's), state folder, unit
mkdir -p "$CONFIG_DIR"
if [ ! -f "$CONFIG_DIR/config.json" ]; then
  install -m 0644 "$DEST/systemd/config.json" "$CONFIG_DIR/config.json"
  say "installed $CONFIG_DIR/config.json"
else
  say "keeping $CONFIG_DIR/config.json"
fi
install -d -m 0750 -o groovebox -g groovebox "$STATE_DIR"
install -m 0644 "$DEST/systemd/groovebox.service" /etc/systemd/system/groovebox.service
systemctl daemon-reload
systemctl enable groovebox.service >/dev/null
systemctl restart groovebox.service
say "started; follow it with: journalctl -u groovebox -f"
if [ -f "$BOOT_CONFIG" ] && [ ! -e /dev/i2c-1 ]; then say "I2C is not active yet: reboot once (sudo reboot)"; fi
