#!/usr/bin/env bash
# The test command: installs what the tests need, builds, then runs every test in LiveExchange.sln in a
# network namespace of its own, against a throwaway PostgreSQL and Redis on free loopback ports and a
# Janus the video tests start themselves; everything it started stops with it.
# Works on a fresh Debian machine as root; on a machine that has everything it installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${LIVEEXCHANGE_IN_NETNS:-}" != 1 ]; then
# 1. System packages: PostgreSQL, Redis, Chromium (the browser tests drive /usr/bin/chromium), the
#    Janus WebRTC Server for the video tests (installing it starts nothing), LibreOffice and a CJK font.
missing=()
command -v janus >/dev/null || missing+=(janus)
command -v ip >/dev/null || missing+=(iproute2)
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# LibreOffice (headless, no GUI) converts PowerPoint/Word decks to PDF; the CJK font lets it and the
# certificate and learning-record PDFs render Chinese text.
command -v soffice >/dev/null || missing+=(libreoffice-impress-nogui libreoffice-writer-nogui)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
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

# 2. Install the bench's Socket.IO relay (BenchQuickTests runs it) and build, while the package registries
#    are reachable (npm ci and the Vite build of src/Web run from MSBuild).
[ -d bench/socketio-relay/node_modules/socket.io ] || (cd bench/socketio-relay && npm ci --no-audit --no-fund)
dotnet build LiveExchange.sln -c Release
fi

# 3. Run the tests in a network namespace of their own, so media and services stay inside it: loopback,
#    plus a veth pair for Janus, which never gathers ICE candidates on loopback. Where namespaces are not
#    allowed (no CAP_SYS_ADMIN), run in this one; Janus then uses the first non-loopback interface.
if [ "${LIVEEXCHANGE_IN_NETNS:-}" != 1 ] && unshare -n true 2>/dev/null; then
  exec unshare -n env LIVEEXCHANGE_IN_NETNS=1 "$0" --in-netns "$@"
fi
if [ "${1:-}" = "--in-netns" ]; then
  shift
  ip link set lo up
  ip link add lx-janus type veth peer name lx-peer
  ip addr add 10.77.0.1/24 dev lx-janus
  ip link set lx-janus up
  ip link set lx-peer up
  export LIVEEXCHANGE_TEST_JANUS_IFACE=lx-janus
fi

source scripts/services.sh
trap services_stop EXIT
services_start

export LIVEEXCHANGE_TEST_POSTGRES="Host=127.0.0.1;Port=${PG_PORT};Username=postgres;Database=postgres;Pooling=true"
export LIVEEXCHANGE_TEST_REDIS="127.0.0.1:${REDIS_PORT}"
export LIVEEXCHANGE_TEST_CHROMIUM=/usr/bin/chromium

dotnet test LiveExchange.sln -c Release --no-build --logger "console;verbosity=normal" "$@"
