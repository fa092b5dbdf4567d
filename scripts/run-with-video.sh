#!/usr/bin/env bash
# The model session with live video on one machine: starts Janus (Debian package janus, installed if
# missing) with deploy/janus's configuration and fresh secrets, then the hub with --demo pointed at it.
# Ctrl+C stops both. Browsers on other machines reach Janus on this machine's address (JANUS_IFACE,
# default: the interface of the default route), so open the printed links with this machine's name.
#   scripts/run-with-video.sh                       # then open the printed host and viewer links
#   scripts/run-with-video.sh --urls http://0.0.0.0:5080   # reachable from phones on the same network
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v janus >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq janus >/dev/null
fi

iface=${JANUS_IFACE:-$(ip -o -4 route show default 2>/dev/null | awk '{print $5; exit}')}
if [ -z "$iface" ]; then
  echo "No default route: set JANUS_IFACE to the interface browsers reach this machine on (Janus cannot use loopback)." >&2
  exit 1
fi
api_secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
room_secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
log=$(mktemp /tmp/janus.XXXXXX.log)

# deploy/janus is the compose image's configuration; the API listens on 8088 (keep it off the internet:
# only the hub needs it, and it refuses anyone without the API secret).
janus -F "$PWD/deploy/janus" -C "$PWD/deploy/janus/janus.jcfg" -o -N -L "$log" \
  --apisecret="$api_secret" --ice-enforce-list="$iface" &
janus_pid=$!
trap 'kill $janus_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:8088/janus/info >/dev/null 2>&1 && break; sleep 0.2; done
echo "== Janus on $iface (log: $log)"

dotnet run --project src/Hub -- \
  --Video:JanusUrl=http://127.0.0.1:8088/janus --Video:ApiSecret="$api_secret" --Video:RoomSecret="$room_secret" "$@" --demo
