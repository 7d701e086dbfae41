#!/usr/bin/env bash
# Try engagementd without a MariaDB: builds it, creates an SQLite database
# with the schema and three live demo streams (with a few real viewers and
# likes), and runs the daemon in the foreground with a 2 s tick, logging each
# stream's numbers. Ctrl-C stops it.
# Usage (as root on Debian 12): bash scripts/demo.sh [--duration 30s]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration=(--duration "${2:?--duration needs a value, e.g. 30s}"); shift 2 ;;
    *) echo "usage: scripts/demo.sh [--duration 30s]" >&2; exit 2 ;;
  esac
done

bash scripts/deps.sh

build=build-demo
cmake -S . -B "$build" -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target engagementd

demo=$PWD/$build/demo
mkdir -p "$demo"
rm -f "$demo"/demo.db "$demo"/demo.db-wal "$demo"/demo.db-shm
cat >"$demo/engagementd.yaml" <<YAML
database:
  backend: sqlite3
  path: $demo/demo.db
tick:
  interval: 2s
  max_catchup: 60s
simulation:
  enabled: true
  real_viewer_ttl: 60s
log:
  level: debug
YAML

"$build/daemon/engagementd" migrate -c "$demo/engagementd.yaml"
sqlite3 "$demo/demo.db" <scripts/demo-seed.sql
echo "Demo database: $demo/demo.db  (e.g. sqlite3 $demo/demo.db 'SELECT id, title, viewer_count, like_count FROM live_streams')"
# The seeded real viewers' open pages: each page's viewer-count poll is the
# session's heartbeat (stream_viewers.last_seen_at). Without it they would
# stop counting as real one real_viewer_ttl (60 s) after the start.
heartbeat() {
  while sleep 15; do
    sqlite3 -cmd ".timeout 5000" "$demo/demo.db" \
      "UPDATE stream_viewers SET last_seen_at = datetime('now')
        WHERE is_fake = 0 AND left_at IS NULL AND session_id LIKE 'demo-%'" || true
  done
}
heartbeat &
heartbeat_pid=$!
trap 'kill "$heartbeat_pid" 2>/dev/null || true' EXIT
status=0
"$build/daemon/engagementd" run -c "$demo/engagementd.yaml" "${duration[@]}" || status=$?
exit "$status"
