#!/usr/bin/env bash
# Rewrites every file Prettier owns (.prettierignore says which it leaves alone) in the project's format.
cd "$(dirname "$0")/.." && exec npx prettier --write --log-level warn .
