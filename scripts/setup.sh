#!/usr/bin/env bash
# Install what circus needs to build and test on a Debian machine with Node.js: npm packages (which
# bring Bun itself) and the system peers the tests use (libzmq through python3-zmq, tmux, redis-server,
# prometheus, chromium, iproute2).
set -euo pipefail
cd "$(dirname "$0")/.."

# A node_modules that is a symlink is a shared install (a git worktree pointing at another checkout's):
# it is left alone, since `npm ci` empties the directory it points to, under every tree that shares it.
if [ -L node_modules ]; then
  [ -x node_modules/.bin/bun ] || { echo "setup: the shared node_modules ($(readlink node_modules)) has no bun; run npm ci there" >&2; exit 1; }
elif [ ! -x node_modules/.bin/bun ] || [ package.json -nt node_modules/.package-lock.json ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi

missing=()
/usr/bin/python3 -c 'import zmq' 2>/dev/null || missing+=(python3-zmq)
command -v tmux >/dev/null || missing+=(tmux)
command -v logrotate >/dev/null || missing+=(logrotate)
# Peers of the plugin tests: RedisObserver's Redis, a Prometheus server scraping our endpoint, and the
# Prometheus client library's text parser.
command -v redis-server >/dev/null || missing+=(redis-server)
command -v prometheus >/dev/null || missing+=(prometheus)
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || missing+=(python3-prometheus-client)
# Network namespaces (`ip netns`) stand for a second host in the security and web tests, run as root.
command -v ip >/dev/null || missing+=(iproute2)
# The web console's tests drive Debian's chromium through playwright-core (no browser download).
[ -x /usr/bin/chromium ] || missing+=(chromium)
# The arm64 build is run for real under qemu-user with Debian's arm64 glibc.
command -v qemu-aarch64 >/dev/null || missing+=(qemu-user)
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || missing+=(libc6-arm64-cross)
[ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || missing+=(libstdc++6-arm64-cross)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: please install ${missing[*]} (apt-get install ${missing[*]})" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
