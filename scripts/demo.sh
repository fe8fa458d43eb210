#!/usr/bin/env bash
# `make demo`: set up, migrate a SQLite database under var/, seed (or reset) the demo programme
# and serve the app on 127.0.0.1. PORT (default 8000) and CONVENOR_DEMO_DB override the port and
# the database file; the facilitator's sign-in and three invite links are printed before serving.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

host=127.0.0.1
port=${PORT:-8000}
case "$port" in
  ''|*[!0-9]*) echo "demo.sh: PORT must be a number, not '$port'" >&2; exit 2 ;;
esac
db=${CONVENOR_DEMO_DB:-$PWD/var/demo.sqlite3}
mkdir -p "$(dirname "$db")"

# The demo is the embedded setup whatever the shell has: SQLite and the in-memory channel layer.
export DATABASE_URL="sqlite:///$db"
unset REDIS_URL
export CONVENOR_PRODUCTION=0 CONVENOR_DEBUG=1

.venv/bin/python manage.py migrate --no-input --verbosity 0
echo
.venv/bin/python manage.py seed_demo --base-url "http://$host:$port"
echo
echo "Serving on http://$host:$port/ (database $db); press Ctrl+C to stop."
# No per-message compression on the live pages' sockets (see the README, "Running it for real").
exec .venv/bin/uvicorn convenor.asgi:application --host "$host" --port "$port" --log-level warning \
  --ws-per-message-deflate false
