#!/usr/bin/env bash
# The test command: installs what the tests need, starts a throwaway PostgreSQL and Redis on free
# loopback ports, runs every test in LiveExchange.sln against them, and stops them again.
# Works on a fresh Debian machine as root; on a machine that has everything it installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

# 1. System packages: PostgreSQL, Redis, Chromium (the browser tests drive /usr/bin/chromium).
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# Node 20+ comes with the machine (Debian's own nodejs is 18, too old for Vite 7): check, don't install.
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null || ! command -v npm >/dev/null; then
  echo "Node.js 20 or newer with npm is needed to build src/Web (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. Throwaway servers.
source scripts/services.sh
trap services_stop EXIT
services_start

export LIVEEXCHANGE_TEST_POSTGRES="Host=127.0.0.1;Port=${PG_PORT};Username=postgres;Database=postgres;Pooling=true"
export LIVEEXCHANGE_TEST_REDIS="127.0.0.1:${REDIS_PORT}"
export LIVEEXCHANGE_TEST_CHROMIUM=/usr/bin/chromium

# 3. Everything. Building the Hub runs npm ci and the Vite build of src/Web when it is stale.
dotnet test LiveExchange.sln -c Release --logger "console;verbosity=normal" "$@"
