#!/usr/bin/env bash
# Print the path of a usable uv. Uses the one on PATH, else installs a pinned uv into
# .tools/ with any Python 3 that has venv + pip (the interpreter's version does not matter here).
set -eu
UV_VERSION="${UV_VERSION:-0.13.9}"
root=$(cd "$(dirname "$0")/.." && pwd)
if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
if [ -x "$root/.tools/bin/uv" ]; then echo "$root/.tools/bin/uv"; exit 0; fi
py=$(command -v python3 || command -v python || true)
[ -n "$py" ] || { echo "error: neither uv nor python3 found; install uv (https://docs.astral.sh/uv/)" >&2; exit 1; }
echo "bootstrapping uv $UV_VERSION into .tools/ with $py" >&2
"$py" -m venv "$root/.tools" >&2
"$root/.tools/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" >&2
echo "$root/.tools/bin/uv"
