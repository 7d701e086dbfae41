# Sourced by tests/site/site_test.sh --scenario kit_truth, once the site
# stands with the kit (before `engagementd migrate`). The pages never show
# simulated numbers as real, whatever runs:
#  - the kit with no daemon ever run, before and after migrate: every page
#    shows the real joins, likes, dislikes and comments, and end.php saves
#    them;
#  - the daemon's first run takes the live stream over, the jump being the
#    simulated part;
#  - the daemon stopped: at first the numbers stay (badged, with their age),
#    past the kit's STALE_AFTER the real ones; its return takes over again;
#    end.php past the bound saves the real numbers;
#  - php/install.sh --uninstall with a live stream refuses while the daemon
#    leads, stops it when told to (--stop-daemon=COMMAND), and leaves the
#    site's own pages showing the real numbers;
#  - install.sh --verify-url tells which kit the running PHP serves: a
#    second PHP server on the site with OPcache and
#    opcache.validate_timestamps=0 (as a PHP-FPM tuned for speed) still
#    serves the kit after --uninstall, until it is restarted.

stale=5
step() { php "$src/tests/site/scenarios/kit_truth.php" "$1" "$work/kit_truth.json"; }
start_daemon() {
  "$daemon" run -c "$work/engagementd.yaml" 2>>"$work/engagementd.log" &
  daemon_pid=$!
}
stop_daemon() {
  kill -TERM "$daemon_pid"
  local rc=0
  wait "$daemon_pid" || rc=$?
  daemon_pid=""
  [[ $rc -eq 0 ]] || { echo "engagementd run exited $rc on SIGTERM" >&2; exit 1; }
}
verify_url="$SITE_BASE/api/live/viewers.php?action=count&stream_id=0"
install_sh() { bash "$src/php/install.sh" --state-dir "$work/kit-state" "$@"; }

# The kit's bound (the smallest it takes) and the daemon's TTL at the kit's
# default (60 s), so that viewers count between steps without polls.
sed -i '/^ENGAGEMENTD_REAL_VIEWER_TTL=/d' "$site/.env"
echo "ENGAGEMENTD_STALE_AFTER=$stale" >>"$site/.env"
sed -i 's/real_viewer_ttl: .*/real_viewer_ttl: 60s/' "$work/engagementd.yaml"
export SITE_TTL=60 KIT_STALE_AFTER=$stale

# The second server, with OPcache that never rechecks files.
opcache_pid=""
trap 'rc=$?; [[ -z $opcache_pid ]] || { kill "$opcache_pid"; wait "$opcache_pid"; } 2>/dev/null; (exit $rc); cleanup' EXIT
start_opcache_php() {
  local port
  for _ in $(seq 1 20); do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
    php -d opcache.enable_cli=1 -d opcache.validate_timestamps=0 -d session.save_path="$work/sessions" \
      -d display_errors=0 -S "127.0.0.1:$port" -t "$site" >>"$work/php-opcache.log" 2>&1 &
    opcache_pid=$!
    for _ in $(seq 1 50); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 0.1
    done
    if kill -0 "$opcache_pid" 2>/dev/null; then
      opcache_url="http://127.0.0.1:$port/api/live/viewers.php?action=count&stream_id=0"
      return 0
    fi
  done
  echo "FAIL: PHP's built-in server with OPcache did not start" >&2
  exit 1
}
stop_opcache_php() { kill "$opcache_pid"; wait "$opcache_pid" 2>/dev/null || true; opcache_pid=""; }

echo "== the running PHP serves the installed kit"
install_sh --verify-url "$verify_url" "$site"
start_opcache_php
install_sh --verify-url "$opcache_url" "$site"

echo "== no daemon ever, before migrate"
step no-daemon-before-migrate
echo "== engagementd migrate; still no daemon"
"$daemon" migrate -c "$work/engagementd.yaml" | tail -n 1
step no-daemon-after-migrate
step live-no-daemon

echo "== engagementd run: it takes the stream over"
start_daemon
step daemon-took-over

echo "== the daemon stops: a short stop keeps the numbers, past ${stale} s the real ones"
stop_daemon
step daemon-stopped-short
step daemon-stopped-long

echo "== the daemon comes back"
start_daemon
step daemon-came-back

echo "== the daemon stops again; end.php past the bound"
stop_daemon
step end-stale

echo "== php/install.sh --uninstall with a live stream"
start_daemon
step uninstall-live
rc=0
install_sh --uninstall "$site" >"$work/uninstall.out" 2>&1 || rc=$?
cat "$work/uninstall.out"
if [[ $rc -eq 0 ]] || ! grep -q 'engagementd is running' "$work/uninstall.out"; then
  echo "FAIL: --uninstall did not refuse while the daemon leads" >&2
  exit 1
fi
[[ -f $site/includes/engagementd.php ]] || { echo "FAIL: the refused --uninstall removed the kit" >&2; exit 1; }
echo "refused while the daemon leads; the kit is still installed"
pid=$daemon_pid
install_sh --uninstall --stop-daemon="kill -TERM $pid" "$site" | tee "$work/uninstall.out" | grep -v '^restored '
rc=0
wait "$pid" || rc=$?
daemon_pid=""
[[ $rc -eq 0 ]] || { echo "FAIL: engagementd exited $rc when --uninstall stopped it" >&2; exit 1; }
grep -q 'live streams rewritten to their real numbers (no badge without the kit): 2$' "$work/uninstall.out" \
  || { echo "FAIL: --uninstall did not rewrite the live stream" >&2; exit 1; }
[[ ! -e $site/includes/engagementd.php ]] || { echo "FAIL: the kit is still there" >&2; exit 1; }
step after-uninstall
install_sh --verify-url "$verify_url" "$site"
echo "== the server with OPcache (validate_timestamps=0) still serves the kit: --verify-url says so"
rc=0
install_sh --verify-url "$opcache_url" "$site" 2>"$work/verify.err" || rc=$?
cat "$work/verify.err"
if [[ $rc -eq 0 ]] || ! grep -q 'serves the kit .*, but the files in .* are the site' "$work/verify.err" \
   || ! grep -q 'reload' "$work/verify.err"; then
  echo "FAIL: --verify-url did not see the old code served by OPcache" >&2
  exit 1
fi
stop_opcache_php
start_opcache_php
install_sh --verify-url "$opcache_url" "$site"
stop_opcache_php

check_logs
echo "PASS: without a daemon, past the bound and after --uninstall the pages show the real numbers; the daemon takes over on its return"
