#!/usr/bin/env bash
# Trains the four shipped models in the background, two at a time (wasm uses one
# core per process), each within its time budget. Safe to re-run after a kill:
# every run resumes from its checkpoint. Logs: models/<name>/train.log
set -u
cd "$(dirname "$0")/.."
npm run -s build
run() { # name minutes
  local name=$1 minutes=$2
  mkdir -p "models/$name"
  nice -n 5 node dist/firmware-ts/cli/main.js train --model "$name" --epochs 200 --minutes "$minutes" --resume >>"models/$name/train.log" 2>&1
}
( run ag11 "${AG11_MINUTES:-60}"; run baseline "${BASELINE_MINUTES:-35}" ) &
( run ag2 "${AG2_MINUTES:-50}"; run fvae2 "${FVAE2_MINUTES:-40}" ) &
wait
