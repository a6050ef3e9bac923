#!/usr/bin/env bash
# Install the peers the benchmarks compare against (Debian's supervisor), without leaving the
# distribution's own supervisord service running in the background.
set -euo pipefail
if ! command -v supervisord >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq supervisor >/dev/null
  (service supervisor stop || true) >/dev/null 2>&1
  pkill -x supervisord || true
fi
