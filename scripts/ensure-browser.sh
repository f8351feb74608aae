#!/usr/bin/env bash
# Makes sure headless Chromium and chromedriver are installed for the browser
# tests (tests/browser). Does nothing when both are on PATH; otherwise installs
# Debian's `chromium` and `chromium-driver` with apt-get (through sudo when not
# root); otherwise fails saying what to install. PRINTHUB_SKIP_BROWSER=1 makes
# the browser tests skip (loudly) instead, and this script then only warns.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
browser() { have chromium || have chromium-browser || have google-chrome; }

if browser && have chromedriver; then
  exit 0
fi

if [ "${PRINTHUB_SKIP_BROWSER:-}" = "1" ]; then
  echo "ensure-browser: Chromium/chromedriver missing; PRINTHUB_SKIP_BROWSER=1, so the browser tests will be SKIPPED" >&2
  exit 0
fi

if have apt-get; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif have sudo; then
    SUDO="sudo"
  else
    echo "ensure-browser: need root or sudo to apt-get install chromium chromium-driver" >&2
    exit 1
  fi
  echo "ensure-browser: installing chromium and chromium-driver with apt-get" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if browser && have chromedriver; then
  exit 0
fi
echo "ensure-browser: the browser tests need Chromium and chromedriver on PATH." >&2
echo "  Debian/Ubuntu: apt-get install chromium chromium-driver" >&2
echo "  Or point PRINTHUB_CHROMIUM and PRINTHUB_CHROMEDRIVER at them, or set PRINTHUB_SKIP_BROWSER=1 to skip." >&2
exit 1
