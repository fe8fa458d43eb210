#!/usr/bin/env bash
# Sets up everything the project needs on a fresh machine: a Python >= 3.12 virtualenv in
# .venv with the pinned dependencies, and (for the browser tests) Debian's Chromium.
# Safe to run again: it only installs what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    *) echo "setup.sh: unknown argument '$arg' (use --browser to also install Chromium)" >&2; exit 2 ;;
  esac
done

find_python() {
  # pyenv shims answer `command -v` even when they cannot run, so each candidate is tried.
  local root="${PYENV_ROOT:-$HOME/.pyenv}" c
  for c in python3.13 python3.12 "$root"/versions/3.13*/bin/python "$root"/versions/3.12*/bin/python python3; do
    if "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
      command -v "$c"; return
    fi
  done
  echo "setup.sh: Convenor needs Python 3.12 or newer; install it (e.g. 'pyenv install 3.12') and run again." >&2
  exit 1
}

if [ ! -x .venv/bin/python ]; then
  py=$(find_python)
  echo "setup: creating .venv with $py"
  "$py" -m venv .venv
fi

stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing pinned dependencies"
  .venv/bin/python -m pip install -q --disable-pip-version-check "uv==0.13.9" \
    || .venv/bin/python -m pip install -q --disable-pip-version-check uv
  .venv/bin/uv pip install -q --python .venv/bin/python -e '.[dev]'
  touch "$stamp"
fi

if [ "$want_browser" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing Debian's Chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then apt_get=(apt-get); else apt_get=(sudo apt-get); fi
  DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null
fi
