#!/usr/bin/env bash
# Runs one benchmark scenario against a throwaway PostgreSQL and Redis on loopback, e.g.
#   scripts/bench.sh fanout --viewers 5000 --instances 2 --runs 3
# Arguments go to bench/LiveExchange.Bench (see its --help). Needs what scripts/test.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
# fanout's Socket.IO baseline runs on Node with its packages from npm (pinned in package-lock.json).
[ -d bench/socketio-relay/node_modules/socket.io ] || (cd bench/socketio-relay && npm ci --no-audit --no-fund >&2)
source scripts/services.sh
trap services_stop EXIT
services_start >&2
export LIVEEXCHANGE_BENCH_POSTGRES="Host=127.0.0.1;Port=${PG_PORT};Username=postgres;Database=postgres"
export LIVEEXCHANGE_BENCH_REDIS="127.0.0.1:${REDIS_PORT}"
dotnet run -c Release --project bench/LiveExchange.Bench -- "$@"
