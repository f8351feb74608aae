#!/usr/bin/env bash
# Makes sure CUPS's tools are installed for the IPP Everywhere tests:
# `ipptool` (Debian's cups-ipp-utils, with its ipp-everywhere.test), and the
# scheduler `cupsd` with `lpadmin`/`lp` and the filters that turn a PDF into
# PWG raster (cups-daemon, cups-client, cups-filters). The tests start their
# own cupsd on a free loopback port with their own configuration folder,
# never the system service. Does nothing when ipptool and cupsd are there;
# otherwise installs them with apt-get (through sudo when not root) and
# keeps the package's service from starting (policy-rc.d, which is how
# Debian packages are told not to start services; in a container without
# systemd nothing starts anyway). PRINTHUB_SKIP_CUPS=1 makes the CUPS tests
# skip (loudly) instead, and this script then only warns.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

if have ipptool && have cupsd && have lpadmin && have lp; then
  exit 0
fi

if [ "${PRINTHUB_SKIP_CUPS:-}" = "1" ]; then
  echo "ensure-cups: CUPS tools missing; PRINTHUB_SKIP_CUPS=1, so the CUPS tests will be SKIPPED" >&2
  exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "ensure-cups: need root or sudo to apt-get install the CUPS packages" >&2
    exit 1
  fi
  echo "ensure-cups: installing cups-ipp-utils cups-daemon cups-client cups-filters with apt-get" >&2
  policy=/usr/sbin/policy-rc.d
  created_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    created_policy=1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    cups-ipp-utils cups-daemon cups-client cups-filters >/dev/null
  if [ -n "$created_policy" ]; then
    $SUDO rm -f "$policy"
  fi
fi

if have ipptool && have cupsd && have lpadmin && have lp; then
  exit 0
fi
echo "ensure-cups: the IPP tests need ipptool, cupsd, lpadmin and lp." >&2
echo "  Debian/Ubuntu: apt-get install cups-ipp-utils cups-daemon cups-client cups-filters" >&2
echo "  Or set PRINTHUB_SKIP_CUPS=1 to skip them." >&2
exit 1
