# The security scenario (ctest label "security"), sourced by site_test.sh
# once the site stands with the kit: small kit limits so that the cap and
# the rate show, `engagementd migrate`, the daemon, then the attacks over
# HTTP (tests/site/security.php).
cat >>"$site/.env" <<ENV
ENGAGEMENTD_GUESTS_PER_IP=5
ENGAGEMENTD_JOINS_PER_IP_MINUTE=8
ENV

echo "== engagementd migrate"
"$daemon" migrate -c "$work/engagementd.yaml" | tail -n 1
echo "== engagementd run"
"$daemon" run -c "$work/engagementd.yaml" 2>"$work/engagementd.log" &
daemon_pid=$!

SITE_DAEMON=$daemon SITE_DAEMON_CONFIG=$work/engagementd.yaml SITE_PHP_LOG=$work/php.log \
  php "$src/tests/site/security.php"

kill -TERM "$daemon_pid"
wait "$daemon_pid"
daemon_pid=""
check_logs
echo "PASS: the attacks on the real site with the kit are refused, and a real visit still works"
