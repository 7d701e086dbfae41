# Sourced by site_test.sh --scenario daemon_uninstall, with the site standing
# and the kit installed: `engagementd uninstall` with a live stream.
#  - It refuses while the running daemon holds a fresh lease.
#  - After the daemon stops it gives the live stream its real numbers
#    (the pages show them, includes_simulated 0), never simulated ones as real.
#  - uninstall + migrate keep every replay link (saved_streams.stream_id) and
#    every badge (live_streams.includes_simulated).
# Uses: sql, $daemon, $site, $work, $db, SITE_BASE (set by site_test.sh).

fail() { echo "FAIL: $*" >&2; exit 1; }
# The real viewers' heartbeat must outlive the steps below: a TTL of its own,
# the daemon's and the kit's alike (the kit counts the real viewers itself
# once the daemon is gone).
sed 's/real_viewer_ttl: .*/real_viewer_ttl: 120s/' "$work/engagementd.yaml" >"$work/uninstall.yaml"
sed -i 's/^ENGAGEMENTD_REAL_VIEWER_TTL=.*/ENGAGEMENTD_REAL_VIEWER_TTL=120/' "$site/.env"
yaml=$work/uninstall.yaml

# One browser per cookie jar, as the site's pages are called.
http() { # NAME METHOD PATH [JSON]
  local jar=$work/cookies-$1 args=(-sS -b "$work/cookies-$1" -c "$work/cookies-$1"
    -H 'Accept: application/json' -A "engagementd-site-test/$1")
  [[ -f $jar ]] || : >"$jar"
  if [[ -n ${4:-} ]]; then args+=(-H 'Content-Type: application/json' --data "$4"); fi
  curl "${args[@]}" -X "$2" "$SITE_BASE/$3"
}
json() { # FIELD.PATH < JSON: one value, by PHP's own JSON reader
  php -r '$d = json_decode(stream_get_contents(STDIN), true); foreach (explode(".", $argv[1]) as $k) { $d = is_array($d) ? ($d[$k] ?? null) : null; } echo is_bool($d) ? (int)$d : (string)$d;' "$1"
}
q() { sql -N "$db" -e "$1"; }
login() { http "$1" GET "engagementd-test-login.php?user_id=$2&role=$3" >/dev/null; }
shown() { q "SELECT CONCAT_WS(' ', viewer_count, max_viewers, like_count, dislike_count, comment_count, includes_simulated) FROM live_streams WHERE id = $1"; }
real() { # the real numbers, counted from the site's rows as the daemon counts them
  q "SELECT CONCAT_WS(' ',
       (SELECT COUNT(*) FROM stream_viewers WHERE stream_id = $1 AND is_fake = 0 AND left_at IS NULL
          AND COALESCE(last_seen_at, joined_at) >= NOW() - INTERVAL 120 SECOND),
       (SELECT COUNT(*) FROM stream_interactions WHERE stream_id = $1 AND is_fake = 0 AND interaction_type = 'like'),
       (SELECT COUNT(*) FROM stream_interactions WHERE stream_id = $1 AND is_fake = 0 AND interaction_type = 'dislike'),
       (SELECT COUNT(*) FROM stream_interactions WHERE stream_id = $1 AND is_fake = 0 AND interaction_type = 'comment'))"
}
wait_for() { # SECONDS WHAT COMMAND...
  local limit=$1 what=$2
  shift 2
  for _ in $(seq 1 $((limit * 5))); do "$@" && return 0; sleep 0.2; done
  fail "waited ${limit}s for $what"
}

echo "== engagementd migrate, engagementd run"
"$daemon" migrate -c "$yaml" >/dev/null 2>&1
"$daemon" run -c "$yaml" 2>"$work/engagementd.log" &
daemon_pid=$!

login seller1 9001 seller
login seller2 9002 seller
for i in 1 2 3; do login "buyer$i" "910$i" customer; done

echo "== two streams: one ends with save while the daemon runs, one stays live"
ended=$(http seller2 POST api/streams/start.php '{"title":"Ends first","description":"site test"}' | json stream_id)
live=$(http seller1 POST api/streams/start.php '{"title":"Stays live","description":"site test"}' | json stream_id)
[[ $ended =~ ^[0-9]+$ && $live =~ ^[0-9]+$ ]] || fail "start.php gave no stream ids ($ended, $live)"
for i in 1 2; do http "buyer$i" POST api/live/viewers.php "{\"action\":\"join\",\"stream_id\":$live}" >/dev/null; done
http buyer3 POST api/live/viewers.php "{\"action\":\"join\",\"stream_id\":$ended}" >/dev/null
http buyer1 POST api/live/interact.php "{\"stream_id\":$live,\"action\":\"like\"}" >/dev/null
http buyer3 POST api/live/interact.php "{\"stream_id\":$ended,\"action\":\"like\"}" >/dev/null
simulated() { [[ $(q "SELECT COUNT(*) FROM live_streams WHERE id IN ($live, $ended) AND includes_simulated = 1") == 2 ]]; }
wait_for 20 "both streams to show simulated numbers" simulated
r=$(http seller2 POST api/streams/end.php "{\"stream_id\":$ended,\"action\":\"save\"}")
[[ $(json success <<<"$r") == 1 ]] || fail "end.php: $r"
finalized() { [[ $(q "SELECT COUNT(*) FROM engagementd_stream_summary WHERE stream_id = $ended") == 1 ]]; }
wait_for 20 "the ended stream's finalization" finalized
links_before=$(q "SELECT COUNT(*) FROM saved_streams WHERE stream_id IS NOT NULL")
badges_before=$(q "SELECT COUNT(*) FROM live_streams WHERE includes_simulated = 1 AND status <> 'live'")
[[ $links_before -ge 1 && $badges_before -ge 1 ]] ||
  fail "no replay link ($links_before) or ended badge ($badges_before) before uninstall"
echo "   live stream $live shows: $(shown "$live") (real: $(real "$live")); $links_before replay link(s), $badges_before ended stream(s) with the badge"

echo "== uninstall while the daemon holds a fresh lease: refused"
rc=0
"$daemon" uninstall --yes -c "$yaml" >"$work/uninstall-refused.txt" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "uninstall went on during a fresh lease: $(cat "$work/uninstall-refused.txt")"
grep -q "an engagementd is running on this database" "$work/uninstall-refused.txt" ||
  fail "the refusal does not say why: $(cat "$work/uninstall-refused.txt")"
[[ $(q "SELECT COUNT(*) FROM engagementd_schema_version") -gt 0 ]] || fail "the refused uninstall dropped something"
echo "   $(tail -n 1 "$work/uninstall-refused.txt" | cut -c1-160)..."

echo "== the daemon stops (SIGTERM), then uninstall"
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "engagementd run exited $? on SIGTERM"
daemon_pid=""
[[ $(shown "$live" | awk '{print $6}') == 1 ]] || fail "the live stream lost its badge before uninstall"
"$daemon" uninstall --yes -c "$yaml" >"$work/uninstall.txt" 2>&1 || fail "uninstall: $(cat "$work/uninstall.txt")"
sed 's/^/   /' "$work/uninstall.txt"
grep -q "table engagementd_stream_state (" "$work/uninstall.txt" || fail "the prompt does not list a table with its rows"
grep -q "column saved_streams.stream_id (" "$work/uninstall.txt" || fail "the prompt does not list the kept link column"

echo "== the live stream shows its real numbers only"
read -r viewers peak likes dislikes comments badge <<<"$(shown "$live")"
read -r real_viewers real_likes real_dislikes real_comments <<<"$(real "$live")"
[[ $badge == 0 ]] || fail "includes_simulated is still $badge after uninstall"
[[ $viewers == "$real_viewers" && $likes == "$real_likes" && $dislikes == "$real_dislikes" &&
   $comments == "$real_comments" ]] ||
  fail "live_streams shows $viewers/$likes/$dislikes/$comments, the real numbers are $real_viewers/$real_likes/$real_dislikes/$real_comments"
[[ $real_viewers == 2 && $real_likes == 1 ]] || fail "real numbers $real_viewers viewers, $real_likes likes: expected 2 and 1"
[[ $peak -ge $viewers && $peak -le 2 ]] || fail "max_viewers $peak is not a real peak (2 real viewers at most)"
page=$(http buyer1 GET "api/live/streams.php?action=get&stream_id=$live")
for f in viewer_count like_count includes_simulated; do
  want=$(q "SELECT $f FROM live_streams WHERE id = $live")
  got=$(json "stream.$f" <<<"$page")
  [[ $got == "$want" ]] || fail "live/streams.php?action=get shows $f=$got, live_streams has $want"
done
count=$(http buyer2 GET "api/live/viewers.php?action=count&stream_id=$live")
[[ $(json count <<<"$count") == "$real_viewers" && $(json includes_simulated <<<"$count") == 0 ]] ||
  fail "viewers.php?action=count: $count (real viewers $real_viewers, no badge)"
echo "   live_streams and the pages: $viewers viewers (peak $peak), $likes like(s), badge $badge = the real numbers"

echo "== the replay links and badges stay, and stay after migrate"
check_kept() {
  local links badges
  links=$(q "SELECT COUNT(*) FROM saved_streams WHERE stream_id IS NOT NULL")
  badges=$(q "SELECT COUNT(*) FROM live_streams WHERE includes_simulated = 1 AND status <> 'live'")
  [[ $links == "$links_before" && $badges == "$badges_before" ]] ||
    fail "$1: $links replay link(s) and $badges badge(s), before uninstall $links_before and $badges_before"
  echo "   $1: $links replay link(s), $badges ended stream(s) with the badge"
}
check_kept "after uninstall"
"$daemon" migrate -c "$yaml" >/dev/null 2>&1 || fail "migrate after uninstall failed"
check_kept "after migrate"
[[ $(q "SELECT MAX(version) FROM engagementd_schema_version") -ge 11 ]] || fail "migrate did not restore the schema"
echo "PASS: uninstall refused during a fresh lease, gave the live stream its real numbers, and kept every replay link and badge through migrate"
