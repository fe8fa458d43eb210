#!/usr/bin/env bash
# Placeholder until the web application lands: set up and show the CLI on the bundled sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/convenor match convenor/samples/people.csv --rounds 3
