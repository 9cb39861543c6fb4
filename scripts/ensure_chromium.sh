#!/usr/bin/env bash
# The dashboard's browser tests drive Debian's Chromium through Playwright (never a downloaded browser).
# Install the distribution package once if /usr/bin/chromium is missing; quiet and idempotent.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing Debian's chromium package for the browser tests" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq chromium >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq chromium >/dev/null
fi
[ -x /usr/bin/chromium ] || { echo "chromium is still missing at /usr/bin/chromium" >&2; exit 1; }
