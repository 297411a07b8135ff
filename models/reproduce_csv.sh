#!/usr/bin/env bash
# Trains the small LSTM model that the job's parity test scores from a labelled CSV, and writes its
# parity vectors: tests/data/machines.csv (synthetic: tests/synthetic.py, machine_csv(keys=3,
# rows_per_key=150, seed=7)) -> job/src/test/resources/parity/machines-lstm/ and machines-lstm.json.
# Uses $PYTHON when set, else models/.venv if it exists (see models/README.md), else python3.
set -euo pipefail
cd "$(dirname "$0")"
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
parity_dir=../job/src/test/resources/parity
events=$(mktemp --suffix=.jsonl)
trap 'rm -f "$events"' EXIT

"$PYTHON" -m vigil_models.train_csv --data tests/data/machines.csv --kind lstm --window 8 --seed 7 --batch-size 256 \
    --out "$parity_dir/machines-lstm"
"$PYTHON" -m vigil_models.csv_data tests/data/machines.csv --out "$events"
"$PYTHON" -m vigil_models.parity --model "$parity_dir/machines-lstm" --events "$events" --limit 200 \
    --with-dead-letters --out "$parity_dir/machines-lstm.json"
