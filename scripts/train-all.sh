#!/usr/bin/env bash
# Trains the four models in the background, two at a time (wasm uses one core per
# process). Every run is `groovebox train --resume`: safe to re-run after a kill, it
# goes on from <out>/<name>/checkpoint, or starts from scratch where there is none.
#
#   MODELS_OUT=DIR  the models' folder, relative to the project (default: models, the
#                   shipped models). A new folder trains all four from scratch and
#                   leaves the shipped ones alone; point the box at it with --models-dir
#                   or "modelsDir".
#   AG11_EPOCHS=24 AG2_EPOCHS=47 FVAE2_EPOCHS=47 BASELINE_EPOCHS=47
#                   each model's budget: epochs in total, a resumed checkpoint's
#                   included. Epochs, not minutes, so that a faster machine or a faster
#                   build trains the same runs.
#
# The shipped checkpoints are at these budgets: into models/ with the defaults, each
# model finds its budget reached and stops without training. Raise a budget to train
# a shipped model for longer. Logs: <out>/<name>/train.log
set -u
cd "$(dirname "$0")/.."
# Refused before anything starts: a budget given the old way (minutes) or not a whole number would otherwise fail
# only inside a train.log, or train nothing without a word.
for name in AG11 AG2 FVAE2 BASELINE; do
  minutes="${name}_MINUTES" epochs="${name}_EPOCHS"
  if [ -n "${!minutes:-}" ]; then
    echo "train-all.sh: $minutes=${!minutes}: budgets are epochs now; set $epochs (docs/models.md)" >&2
    exit 2
  fi
  if [ -n "${!epochs:-}" ] && ! [[ "${!epochs}" =~ ^[1-9][0-9]*$ ]]; then
    echo "train-all.sh: $epochs=${!epochs}: expected a whole number of epochs, 1 or more" >&2
    exit 2
  fi
done
OUT="${MODELS_OUT:-models}"
npm run -s build
run() { # name epochs
  local name=$1 epochs=$2
  mkdir -p "$OUT/$name"
  # --minutes: no time limit of its own (a month); the epochs are the budget.
  nice -n 5 node dist/firmware-ts/cli/main.js train --model "$name" --epochs "$epochs" --minutes 43200 --threads 1 --resume --out "$OUT/$name" >>"$OUT/$name/train.log" 2>&1
}
( run ag11 "${AG11_EPOCHS:-24}"; run baseline "${BASELINE_EPOCHS:-47}" ) &
( run ag2 "${AG2_EPOCHS:-47}"; run fvae2 "${FVAE2_EPOCHS:-47}" ) &
wait
