#!/usr/bin/env bash
# The whole test suite: lint and types, then the tests on SQLite, again on PostgreSQL + Redis,
# then the browser tests in their own pytest process (Playwright's event loop and the async
# Channels tests must not share one process).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
export PATH="$PWD/.venv/bin:$PATH"

# pytest exits 5 when a stage collects no test; that is not a failure of the stage.
run_pytest() { local rc=0; python -m pytest "$@" || rc=$?; [ "$rc" = 0 ] || [ "$rc" = 5 ] || exit "$rc"; }

echo "== lint and types"
ruff check .
ruff format --check .
mypy convenor

echo "== tests on SQLite"
run_pytest -m "not browser and not postgres" -p no:randomly

pg_url=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
redis_url=${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
echo "== web and live tests on PostgreSQL + Redis"
if [ -d tests/web ]; then
  DATABASE_URL="$pg_url" REDIS_URL="$redis_url" run_pytest tests/web tests/live -m "not browser"
fi

echo "== browser tests (Chromium)"
run_pytest -m browser
