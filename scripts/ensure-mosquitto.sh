#!/usr/bin/env bash
# Makes sure the Mosquitto MQTT broker is installed for the MQTT tests
# (crates/printhub-mqtt/tests): they start their own `mosquitto` on a free
# loopback port with their own configuration file, never the system service.
# Does nothing when `mosquitto` is on PATH (or in /usr/sbin, where Debian puts
# it); otherwise installs Debian's `mosquitto` with apt-get (through sudo when
# not root) and keeps its system service from running; otherwise fails saying
# what to install. PRINTHUB_SKIP_MQTT=1 makes the MQTT tests skip (loudly)
# instead, and this script then only warns.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

if [ -n "${PRINTHUB_MOSQUITTO:-}" ] && [ -x "${PRINTHUB_MOSQUITTO}" ]; then
  exit 0
fi
if have mosquitto; then
  exit 0
fi

if [ "${PRINTHUB_SKIP_MQTT:-}" = "1" ]; then
  echo "ensure-mosquitto: mosquitto missing; PRINTHUB_SKIP_MQTT=1, so the MQTT tests will be SKIPPED" >&2
  exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "ensure-mosquitto: need root or sudo to apt-get install mosquitto" >&2
    exit 1
  fi
  echo "ensure-mosquitto: installing mosquitto with apt-get" >&2
  # The tests run their own broker: keep the package's service from starting
  # (policy-rc.d is how Debian packages are told not to start services).
  policy=/usr/sbin/policy-rc.d
  created_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    created_policy=1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mosquitto >/dev/null
  if [ -n "$created_policy" ]; then
    $SUDO rm -f "$policy"
  fi
fi

if have mosquitto; then
  exit 0
fi
echo "ensure-mosquitto: the MQTT tests need the Mosquitto broker (mosquitto) on PATH or in /usr/sbin." >&2
echo "  Debian/Ubuntu: apt-get install mosquitto" >&2
echo "  Or point PRINTHUB_MOSQUITTO at it, or set PRINTHUB_SKIP_MQTT=1 to skip." >&2
exit 1
