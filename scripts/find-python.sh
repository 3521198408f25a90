#!/usr/bin/env bash
# Print the path of an installed CPython >= 3.12, or nothing (then uv may download one).
# Checks $PYTHON, then python3.13/python3.12/python3 on PATH (pyenv shims that cannot run are
# skipped), then common install locations (pyenv, /usr/local, /usr).
set -u
ok() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
for name in python3.13 python3.12 python3; do
  p=$(command -v "$name" 2>/dev/null) && candidates+=("$p")
done
for p in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 \
         /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
  [ -x "$p" ] && candidates+=("$p")
done
for p in "${candidates[@]}"; do
  if ok "$p"; then
    "$p" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
exit 0
