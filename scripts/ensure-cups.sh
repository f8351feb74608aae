#!/usr/bin/env bash
# Makes sure CUPS's tools are installed for the IPP Everywhere tests:
# `ipptool` (Debian's cups-ipp-utils, with its ipp-everywhere.test), and the
# scheduler `cupsd` with `lpadmin`/`lp`/`lpstat` and the filters a
# driverless queue uses to turn a PDF into the Apple raster (URF) the hub's
# printers ask for: pdftopdf and gstoraster (cups-filters), rastertopwg and
# the mime.convs rules naming it (Debian's `cups`, which also brings
# cups-daemon and cups-core-drivers). The tests start their own cupsd on a
# free loopback port with their own configuration folder, never the system
# service. Does nothing when everything is there; otherwise installs it with
# apt-get (through sudo when not root) and keeps the packages' service from
# starting (policy-rc.d, which is how Debian packages are told not to start
# services; an existing one is left alone; in a container without systemd
# nothing starts anyway). PRINTHUB_SKIP_CUPS=1 makes the CUPS tests skip
# (loudly) instead, and this script then only warns.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

PACKAGES="cups-ipp-utils cups-daemon cups cups-client cups-filters"
FILTERS="/usr/lib/cups/filter/pdftopdf /usr/lib/cups/filter/gstoraster /usr/lib/cups/filter/rastertopwg"

have_all() {
  have ipptool && have cupsd && have lpadmin && have lp && have lpstat || return 1
  for f in $FILTERS; do [ -x "$f" ] || return 1; done
  [ -f /usr/share/cups/mime/mime.convs ]
}

if have_all; then
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
  echo "ensure-cups: installing $PACKAGES with apt-get" >&2
  policy=/usr/sbin/policy-rc.d
  created_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    created_policy=1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    $PACKAGES >/dev/null
  if [ -n "$created_policy" ]; then
    $SUDO rm -f "$policy"
  fi
fi

if have_all; then
  exit 0
fi
echo "ensure-cups: the IPP tests need ipptool, cupsd, lpadmin, lp, lpstat and $FILTERS." >&2
echo "  Debian/Ubuntu: apt-get install $PACKAGES" >&2
echo "  Or set PRINTHUB_SKIP_CUPS=1 to skip them." >&2
exit 1
