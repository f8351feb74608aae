#!/usr/bin/env bash
# Makes sure `promtool` is installed for the metrics test (it checks the
# /metrics text the way Prometheus reads it). Does nothing when it is on
# PATH; otherwise installs Debian's `prometheus` package (which ships
# promtool) with apt-get, through sudo when not root. The package's own
# server is never started by the tests. PRINTHUB_SKIP_PROMTOOL=1 makes the
# test skip (loudly) instead.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if have promtool; then
  exit 0
fi
if [ "${PRINTHUB_SKIP_PROMTOOL:-}" = "1" ]; then
  echo "ensure-promtool: promtool missing; PRINTHUB_SKIP_PROMTOOL=1, so its check will be SKIPPED" >&2
  exit 0
fi
if have apt-get; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif have sudo; then
    SUDO="sudo"
  else
    echo "ensure-promtool: need root or sudo to apt-get install prometheus" >&2
    exit 1
  fi
  echo "ensure-promtool: installing prometheus (for promtool) with apt-get" >&2
  $SUDO apt-get update -qq
  # No service start inside containers without an init system.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
if have promtool; then
  exit 0
fi
echo "ensure-promtool: the metrics test needs promtool on PATH (Debian: apt-get install prometheus)," >&2
echo "  or set PRINTHUB_SKIP_PROMTOOL=1 to skip it." >&2
exit 1
