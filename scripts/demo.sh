#!/usr/bin/env bash
# For now the demo is the command line on the bundled sample (the web demo will replace it):
# three rounds of pairs for 24 invented people, then a fourth round that continues their history.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
sample=convenor/samples/people.csv
history=$(mktemp --suffix=.csv)
trap 'rm -f "$history"' EXIT

echo "== Rounds 1-3: pairs for the 24 people of $sample"
.venv/bin/convenor match "$sample" --rounds 3 --out "$history"
cat "$history"
echo
echo "== Round 4 in threes, continuing that history: nobody meets an earlier partner again"
.venv/bin/convenor match "$sample" --size 3 --history "$history"
