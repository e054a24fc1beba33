#!/usr/bin/env bash
# Trains the four models in the background, two at a time (wasm uses one core per
# process). Every run is `groovebox train --resume`: safe to re-run after a kill, it
# goes on from <out>/<name>/checkpoint, or starts from scratch where there is none.
#
#   MODELS_OUT=DIR  the models' folder, relative to the project (default: models, the
#                   shipped models). A new folder trains all four from scratch and
#                   leaves the shipped ones alone; point the box at it with --models-dir
#                   or "modelsDir".
#   AG11_MINUTES=57.8 AG2_MINUTES=132.5 FVAE2_MINUTES=40 BASELINE_MINUTES=35
#                   each model's budget: minutes of training in total, a resumed
#                   checkpoint's minutes included.
#
# The shipped checkpoints are already at these budgets: into models/ with the defaults,
# each model trains one more step and rewrites its checkpoint. Raise a budget to train
# a shipped model for longer. Logs: <out>/<name>/train.log
set -u
cd "$(dirname "$0")/.."
OUT="${MODELS_OUT:-models}"
npm run -s build
run() { # name minutes
  local name=$1 minutes=$2
  mkdir -p "$OUT/$name"
  nice -n 5 node dist/firmware-ts/cli/main.js train --model "$name" --epochs 200 --minutes "$minutes" --resume --out "$OUT/$name" >>"$OUT/$name/train.log" 2>&1
}
( run ag11 "${AG11_MINUTES:-57.8}"; run baseline "${BASELINE_MINUTES:-35}" ) &
( run ag2 "${AG2_MINUTES:-132.5}"; run fvae2 "${FVAE2_MINUTES:-40}" ) &
wait
