# Sourced by site_test.sh --scenario closed_tab, with the site standing and
# the kit installed: the real-viewer sweep on the real site's pages.
#  - A tab closed without leaving (its page stops polling) stops counting
#    within TTL + sweep + one tick of its last poll, and not before the TTL.
#  - That session leaving afterwards is not subtracted again.
#  - A session that joins counts at once; one that leaves, at once.
# Simulation off: live_streams.viewer_count is the real viewers the daemon
# counted. TTL 10 s, sweep 3 s, a tick a second.
# Uses: sql, $daemon, $site, $work, $db, SITE_BASE (set by site_test.sh).

fail() { echo "FAIL: $*" >&2; exit 1; }
ttl=10 sweep=3 tick=1
sed -e "s/real_viewer_ttl: .*/real_viewer_ttl: ${ttl}s\n  real_viewer_sweep: ${sweep}s/" \
  -e 's/enabled: true/enabled: false/' "$work/engagementd.yaml" >"$work/closed_tab.yaml"
yaml=$work/closed_tab.yaml
echo "ENGAGEMENTD_REAL_VIEWER_TTL=$ttl" >>"$site/.env"
"$daemon" check-config -c "$yaml" | grep -q "recounted every ${sweep}s" ||
  fail "check-config does not show the sweep: $("$daemon" check-config -c "$yaml")"

http() { # NAME METHOD PATH [JSON]
  local jar=$work/cookies-$1 args=(-sS -b "$work/cookies-$1" -c "$work/cookies-$1"
    -H 'Accept: application/json' -A "engagementd-site-test/$1")
  [[ -f $jar ]] || : >"$jar"
  if [[ -n ${4:-} ]]; then args+=(-H 'Content-Type: application/json' --data "$4"); fi
  curl "${args[@]}" -X "$2" "$SITE_BASE/$3"
}
json() { # FIELD < JSON
  php -r '$d = json_decode(stream_get_contents(STDIN), true); echo (string)($d[$argv[1]] ?? "");' "$1"
}
q() { sql -N "$db" -e "$1"; }
login() { http "$1" GET "engagementd-test-login.php?user_id=$2&role=$3" >/dev/null; }
shown() { q "SELECT viewer_count FROM live_streams WHERE id = $stream"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

echo "== engagementd migrate, engagementd run (ttl ${ttl}s, sweep ${sweep}s, tick ${tick}s)"
"$daemon" migrate -c "$yaml" >/dev/null 2>&1
"$daemon" run -c "$yaml" 2>"$work/engagementd.log" &
daemon_pid=$!
trap 'kill "$daemon_pid" 2>/dev/null; kill "$poller" 2>/dev/null' EXIT

login seller1 9001 seller
for i in 1 2 3; do login "buyer$i" "910$i" customer; done
stream=$(http seller1 POST api/streams/start.php '{"title":"Closed tab","description":"site test"}' | json stream_id)
[[ $stream =~ ^[0-9]+$ ]] || fail "start.php gave no stream id ($stream)"
declare -A viewer
join() { # BUYER
  viewer[$1]=$(http "$1" POST api/live/viewers.php "{\"action\":\"join\",\"stream_id\":$stream}" | json viewer_id)
  [[ ${viewer[$1]} =~ ^[0-9]+$ ]] || fail "$1's join gave no viewer id"
}
leave() { # BUYER
  local r
  r=$(http "$1" POST api/live/viewers.php "{\"action\":\"leave\",\"stream_id\":$stream,\"viewer_id\":${viewer[$1]}}")
  [[ $(json success <<<"$r") == 1 ]] || fail "$1's leave failed: $r"
  [[ $(q "SELECT COUNT(*) FROM stream_viewers WHERE id = ${viewer[$1]} AND left_at IS NOT NULL") == 1 ]] ||
    fail "$1's session is still open after its leave"
}
join buyer1
join buyer2
closed_at=$(now)  # buyer2's last poll: its join
# buyer1's page polls every second; buyer2's tab is closed.
(while :; do http buyer1 GET "api/live/viewers.php?action=count&stream_id=$stream" >/dev/null; sleep 1; done) &
poller=$!

wait_shown() { # WANT LIMIT_S WHAT
  local start
  start=$(now)
  for _ in $(seq 1 $(($2 * 5))); do
    [[ $(shown) == "$1" ]] && return 0
    sleep 0.2
  done
  fail "$3: viewer_count $(shown) after ${2}s, expected $1"
}
wait_shown 2 5 "two real viewers joined"
echo "   2 real viewers after $(since "$closed_at") s"

echo "== buyer2's tab is closed: counts until the TTL, stops within TTL + sweep + one tick"
bound=$((ttl + sweep + tick))
while :; do
  elapsed=$(since "$closed_at")
  v=$(shown)
  if [[ $v == 1 ]]; then break; fi
  [[ $v == 2 ]] || fail "viewer_count $v at ${elapsed}s (expected 2, then 1)"
  # Two seconds of slack: the pages' and this loop's own latency.
  awk -v e="$elapsed" -v b="$bound" 'BEGIN { exit !(e <= b + 2) }' ||
    fail "the closed tab still counts ${elapsed}s after its last poll (bound ${bound}s)"
  sleep 0.2
done
awk -v e="$elapsed" -v t="$ttl" 'BEGIN { exit !(e >= t - 1) }' ||
  fail "the closed tab stopped counting after ${elapsed}s, before the TTL (${ttl}s)"
echo "   it stopped counting ${elapsed}s after its last poll (TTL ${ttl}s, bound ${bound}s)"

echo "== buyer2 leaves now: not subtracted again"
leave buyer2
for _ in $(seq 1 $((3 * sweep))); do
  sleep 1
  [[ $(shown) == 1 ]] || fail "viewer_count $(shown) after the silent session left (expected 1)"
done
echo "   still 1 over $((3 * sweep)) s"

echo "== buyer3 joins and buyer1 leaves: each at the next tick"
join buyer3
wait_shown 2 3 "buyer3 joined"
kill "$poller"
wait "$poller" 2>/dev/null || true
leave buyer1
wait_shown 1 3 "buyer1 left"

kill "$daemon_pid"
wait "$daemon_pid" || true
trap - EXIT
check_logs
echo "PASS: a closed tab stopped counting within TTL + sweep + one tick, was not subtracted again when it left, and joins and leaves showed at the next tick"
