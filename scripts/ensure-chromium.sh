#!/usr/bin/env bash
# Make sure headless Chromium is available for the browser tests (chat page, report screenshot).
# Uses one already installed; else installs Debian's `chromium` package when this is a Debian-like
# machine and we are root (or have passwordless sudo). Test tools' own browser downloads
# (`playwright install`) are not used: they need hosts beyond the package registries.
set -eu
for candidate in /usr/bin/chromium chromium chromium-browser; do
  if command -v "$candidate" >/dev/null 2>&1; then exit 0; fi
done
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: Chromium not found; install it (it must be on PATH as chromium)" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "error: Chromium not found; run: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi
echo "installing Debian's chromium package for the browser tests" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y --no-install-recommends chromium >&2 ||
  { $sudo apt-get update >&2 && $sudo apt-get install -y --no-install-recommends chromium >&2; }
