#!/bin/sh
# Makes bench/onsets-room.wav and its true onsets, bench/onsets-room.json: two
# bars of taps at 100 bpm made by sox (Debian package "sox"), independent of
# the benchmark's own synthetic taps: noise claps, plucked knocks, a double
# stroke 30 ms apart, played into a small room (sox reverb) with brown room
# noise, through a microphone's high-pass, at 16 kHz / 16 bits (< 200 KB).
# The committed files came from this script; run it again only to change them.
set -eu
cd "$(dirname "$0")"
RATE=16000
BPM=100
LEAD=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# step (16ths from the downbeat)  timing (ms, + late)  level (dB)  sound
TAPS="0 0 0 clap
3 8 -9 knock
4 -6 -3 clap
6 4 -12 knock
8 0 -2 clap
10 10 -10 knock
11 -5 -14 clap
12 3 -4 clap
14 -8 -8 knock
16 2 0 clap
19 6 -10 knock
20 -4 -3 clap
20 26 -5 clap
22 5 -11 knock
24 -2 -1 clap
26 12 -9 knock
27 0 -15 knock
28 -7 -2 clap
30 4 -6 knock
31 -3 -12 clap"
inputs=""
onsets=""
k=0
echo "$TAPS" | while read -r step ms db sound; do
  k=$((k + 1))
  start=$(awk -v s="$step" -v ms="$ms" -v bpm="$BPM" -v lead="$LEAD" -v r="$RATE" 'BEGIN { t = lead + s * 15 / bpm + ms / 1000; printf "%d", t * r + 0.5 }')
  if [ "$sound" = clap ]; then
    sox -n -r $RATE -c 1 -b 16 "$tmp/tap$k.wav" synth 0.2 whitenoise fade l 0 0.2 0.19 bandpass 1400 1.5q gain -n "$db" gain -4
  else
    sox -n -r $RATE -c 1 -b 16 "$tmp/tap$k.wav" synth 0.2 pluck 190 fade l 0 0.2 0.18 gain -n "$db" gain -4
  fi
  sox "$tmp/tap$k.wav" "$tmp/at$k.wav" pad "${start}s"
  echo "$start" >> "$tmp/starts"
done
count=$(wc -l < "$tmp/starts")
duration=$(awk -v bpm="$BPM" -v lead="$LEAD" 'BEGIN { printf "%.4f", lead + 32 * 15 / bpm + 0.3 }')
sox -n -r $RATE -c 1 -b 16 "$tmp/room.wav" synth "$duration" brownnoise gain -n -38
set -- -v 1 "$tmp/room.wav"
k=1
while [ $k -le "$count" ]; do set -- "$@" -v 1 "$tmp/at$k.wav"; k=$((k + 1)); done
sox -m "$@" -b 16 "$tmp/mix.wav" trim 0 "$duration"
sox "$tmp/mix.wav" -r $RATE -c 1 -b 16 onsets-room.wav gain -8 reverb 25 50 40 highpass 90 gain -n -3
awk -v r="$RATE" 'BEGIN { printf "{\"note\": \"true onsets (s) of onsets-room.wav, made by make-onsets-room.sh\", \"bpm\": 100, \"lead\": 0, \"onsets\": [" } { printf "%s%.6f", (NR > 1 ? ", " : ""), $1 / r } END { print "]}" }' "$tmp/starts" > onsets-room.json
ls -l onsets-room.wav onsets-room.json
