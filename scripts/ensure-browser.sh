#!/usr/bin/env bash
# Makes sure headless Chromium and chromedriver are installed for the browser
# tests (tests/browser). Does nothing when both are on PATH; otherwise installs
# Debian's `chromium` and `chromium-driver` with apt-get (through sudo when not
# root); otherwise fails saying what to install. PRINTHUB_SKIP_BROWSER=1 makes
# the browser tests skip (loudly) instead, and this script then only warns.
#
# It also installs axe-core (the accessibility engine the browser tests run in
# every page) from the npm registry into ~/.cache/printhub-axe, with npm
# (Debian's `npm` when missing), unless PRINTHUB_AXE names an axe.min.js.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
browser() { have chromium || have chromium-browser || have google-chrome; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif have sudo; then sudo "$@"; else return 1; fi; }

AXE_VERSION=4.10.3
AXE_DIR="${HOME}/.cache/printhub-axe"
ensure_axe() {
  if [ -n "${PRINTHUB_AXE:-}" ] && [ -f "$PRINTHUB_AXE" ]; then return 0; fi
  if [ -f "$AXE_DIR/node_modules/axe-core/axe.min.js" ] \
    && grep -q "\"version\": \"$AXE_VERSION\"" "$AXE_DIR/node_modules/axe-core/package.json" 2>/dev/null; then
    return 0
  fi
  if ! have npm && have apt-get; then
    echo "ensure-browser: installing npm with apt-get (for axe-core)" >&2
    as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq npm >/dev/null
  fi
  if ! have npm; then
    echo "ensure-browser: the browser tests need axe-core: install npm, or set PRINTHUB_AXE to an axe.min.js" >&2
    return 1
  fi
  mkdir -p "$AXE_DIR"
  echo "ensure-browser: installing axe-core $AXE_VERSION into $AXE_DIR" >&2
  npm install --silent --no-audit --no-fund --prefix "$AXE_DIR" "axe-core@$AXE_VERSION" >/dev/null
}

if [ "${PRINTHUB_SKIP_BROWSER:-}" != "1" ]; then
  ensure_axe
fi

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
