#!/usr/bin/env bash
# Trains the two committed models from the generator's output, with fixed seeds, and writes the
# parity vectors the job's tests compare against:
#   models/reproduce.sh EVENTS_DIR        (EVENTS_DIR/sensors.jsonl, EVENTS_DIR/transactions.jsonl)
# Uses $PYTHON when set, else models/.venv if it exists (see models/README.md), else python3.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 EVENTS_DIR   (holding sensors.jsonl and transactions.jsonl)" >&2
    exit 2
fi
events_dir=$(cd "$1" && pwd)
for stream in sensors transactions; do
    [[ -f "$events_dir/$stream.jsonl" ]] || { echo "missing $events_dir/$stream.jsonl" >&2; exit 2; }
done

cd "$(dirname "$0")"
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
parity_dir=../job/src/test/resources/parity
mkdir -p "$parity_dir"

train() {  # NAME STREAM
    echo "== training $1 on $events_dir/$2.jsonl" >&2
    "$PYTHON" -m vigil_models.train --config "configs/$1.json" --events "$events_dir/$2.jsonl" --out "$1" --seed 7
    "$PYTHON" -m vigil_models.parity --model "$1" --events "$events_dir/$2.jsonl" --limit 200 --with-dead-letters --with-out-of-range \
        --out "$parity_dir/$1.json"
}

time train sensor sensors
time train transaction transactions
