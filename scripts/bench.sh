#!/usr/bin/env bash
# The tick benchmark: builds engagementd, starts a throwaway MariaDB on
# 127.0.0.1 (under build/mariadb-bench, stopped again by its PID), and prints
# one line per stream count, path and scenario with the floor measured in the
# same run, the CPU time per tick of the benchmark (the daemon's part) and of
# the MariaDB server (its PID passed as --server-pid), then the daemon's
# resident memory per live stream with tick.cache on and off, and a summary
# per stream count against the targets (see README, Performance).
# --path old|new|both (default both): old = tick.cache off (every stream read
# whole every tick), new = tick.cache on; both measures the two in one run.
# Usage (as root on Debian 12):
#   bash scripts/bench.sh [--streams 1000,10000,100000] [--ticks 3] [--interval-ms 5000] [--chunk 5000]
#                         [--path old|new|both] [--explain] [--no-memory]
#                         [--site-writes | --site-writes-only] [--hot-likes 10000] [--hot-clients 16]
#                         [--tick-writers 4]
# --site-writes adds, after that, the site's INSERT latency on one hot stream
# (with the current triggers, none, and migration 006's) and during the first tick.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

bash scripts/deps.sh --test
build=build
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target tick_bench

server=$build/mariadb-bench
trap 'bash scripts/mariadb-test.sh stop "$server"' EXIT
port=$(bash scripts/mariadb-test.sh start "$server")
# mariadb-test.sh leaves the server's PID in its pid file: its CPU time per tick.
server_pid=$(cat "$server/mariadbd.pid")
ENGAGEMENTD_TEST_MYSQL="host=127.0.0.1 port=$port user=engagementd_test password=test" \
  "$build/tests/tick_bench" --server-pid "$server_pid" "$@"
