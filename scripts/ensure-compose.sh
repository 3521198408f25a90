#!/usr/bin/env bash
# Print a command that runs Docker Compose (`docker compose` or `docker-compose`), for
# `make compose-config`. Uses one already installed; else installs Debian's `docker-compose`
# package (its `config` validates docker-compose.yml without a Docker daemon) when this is a
# Debian-like machine and we are root (or have passwordless sudo), like ensure-chromium.sh.
set -eu
if docker compose version >/dev/null 2>&1; then echo "docker compose"; exit 0; fi
if command -v docker-compose >/dev/null 2>&1; then echo "docker-compose"; exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: Docker Compose not found; install the compose plugin or docker-compose" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "error: Docker Compose not found; run: sudo apt-get install -y docker-compose" >&2
    exit 1
  fi
fi
echo "installing Debian's docker-compose package to validate docker-compose.yml" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y --no-install-recommends docker-compose >&2 ||
  { $sudo apt-get update >&2 && $sudo apt-get install -y --no-install-recommends docker-compose >&2; }
echo "docker-compose"
