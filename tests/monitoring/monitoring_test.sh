#!/usr/bin/env bash
# The monitoring the package ships (etc/monitoring/: Prometheus alert rules and a
# Grafana dashboard), checked with Prometheus's own tools.
#   monitoring_test.sh rules SOURCE_DIR WORK_DIR
#     promtool check rules; promtool test rules (tests/monitoring/rules_test.yml),
#     which must hold a firing case for every alert; the dashboard's JSON, its
#     datasource variable and every panel's use of it.
#   monitoring_test.sh live SOURCE_DIR WORK_DIR ENGAGEMENTD_BINARY
#     a private MariaDB (scripts/mariadb-test.sh), the real daemon on it with
#     /metrics, and a real Prometheus on loopback (its own port and storage)
#     scraping it every second with the shipped rules file as it is: every
#     metric the rules and the dashboard name is in the daemon's /metrics,
#     every dashboard query evaluates, no alert while all is well,
#     EngagementdTicksFailing and EngagementdDatabaseUnreachable go pending
#     when the database stops and clear when it is back.
# Everything started here is stopped by its PID however the test ends.
set -euo pipefail
mode=${1:?usage: monitoring_test.sh rules|live SOURCE_DIR WORK_DIR [ENGAGEMENTD_BINARY]}
src=${2:?usage: monitoring_test.sh rules|live SOURCE_DIR WORK_DIR [ENGAGEMENTD_BINARY]}
work=${3:?usage: monitoring_test.sh rules|live SOURCE_DIR WORK_DIR [ENGAGEMENTD_BINARY]}
src=$(cd "$src" && pwd)
rules=$src/etc/monitoring/engagementd.rules.yml
dashboard=$src/etc/monitoring/engagementd-dashboard.json

fail() {
  echo "monitoring: FAIL: $*" >&2
  exit 1
}
command -v promtool >/dev/null || fail "promtool not found (Debian package prometheus; scripts/deps.sh --test)"
rm -rf "$work"
mkdir -p "$work"

# The alert names of the rules file; the expressions of its rules and the
# queries of the dashboard's panels, one a line (Python's JSON, and a YAML
# reading simple enough for the rules file's own layout: promtool checks it).
alert_names() { sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' "$rules"; }
rule_expressions() {
  python3 - "$rules" <<'EOF'
import re, sys
# expr: a one-line value or a folded block (expr: >-) up to the next key.
lines = open(sys.argv[1]).read().split("\n")
i = 0
while i < len(lines):
    m = re.match(r"^(\s*)expr:\s*(.*)$", lines[i])
    if m:
        indent, value = len(m.group(1)), m.group(2)
        if value in (">-", ">", "|", "|-"):
            block = []
            i += 1
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
                block.append(lines[i].strip())
                i += 1
            print(" ".join(b for b in block if b))
            continue
        print(value.strip("'\""))
    i += 1
EOF
}
dashboard_queries() {
  python3 - "$dashboard" <<'EOF'
import json, sys
def panels(ps):
    for p in ps:
        yield p
        yield from panels(p.get("panels", []))
for p in panels(json.load(open(sys.argv[1]))["panels"]):
    for t in p.get("targets", []):
        print(t["expr"])
EOF
}

static_checks() {
  promtool check rules "$rules" || fail "promtool check rules $rules"
  sed "s#^  - RULES\$#  - $rules#" "$src/tests/monitoring/rules_test.yml" >"$work/rules_test.yml"
  promtool test rules "$work/rules_test.yml" || fail "promtool test rules"
  # A unit test for every alert: each one expected to fire at least once.
  local name
  for name in $(alert_names); do
    python3 - "$src/tests/monitoring/rules_test.yml" "$name" <<'EOF' || fail "no test case expects $name to fire"
import re, sys
text, name = open(sys.argv[1]).read(), sys.argv[2]
# "alertname: NAME" followed by a non-empty exp_alerts list.
ok = re.search(r"alertname: " + name + r"\n\s*exp_alerts:\n\s*- exp_labels", text)
sys.exit(0 if ok else 1)
EOF
    echo "alert $name: a unit test expects it to fire"
  done
  [[ $(alert_names | wc -l) -ge 7 ]] || fail "fewer alerts than shipped ($(alert_names | xargs))"

  python3 - "$dashboard" <<'EOF' || fail "dashboard $dashboard"
import json, sys
d = json.load(open(sys.argv[1]))
variables = {v["name"]: v for v in d["templating"]["list"]}
ds = variables.get("DS_PROMETHEUS")
assert ds and ds["type"] == "datasource" and ds["query"] == "prometheus", "no Prometheus datasource variable DS_PROMETHEUS"
def panels(ps):
    for p in ps:
        yield p
        yield from panels(p.get("panels", []))
n = 0
for p in panels(d["panels"]):
    if p["type"] == "row":
        continue
    n += 1
    for where in [p] + p.get("targets", []):
        assert where.get("datasource") == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}, \
            "panel %r does not use the datasource variable" % p["title"]
    assert p.get("targets"), "panel %r has no query" % p["title"]
for v in variables.values():
    if v["type"] == "query":
        assert v["datasource"]["uid"] == "${DS_PROMETHEUS}", "variable %s" % v["name"]
ids = [p["id"] for p in panels(d["panels"])]
assert len(ids) == len(set(ids)), "panel ids repeat"
print("dashboard: %d panels, every one on ${DS_PROMETHEUS}" % n)
EOF
}

if [[ $mode == rules ]]; then
  static_checks
  rm -rf "$work"
  echo "OK: the rules pass promtool check and test, the dashboard is well formed"
  exit 0
fi
[[ $mode == live ]] || fail "unknown mode $mode"
bin=${4:?usage: monitoring_test.sh live SOURCE_DIR WORK_DIR ENGAGEMENTD_BINARY}
command -v prometheus >/dev/null || fail "prometheus not found (Debian package prometheus)"

daemon_pid="" prom_pid=""
cleanup() {
  local rc=$?
  [[ -n $daemon_pid ]] && kill -TERM "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  [[ -n $prom_pid ]] && kill -TERM "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
  bash "$src/scripts/mariadb-test.sh" stop "$work/mariadb" || true
  if [[ $rc -ne 0 ]]; then
    for f in daemon.log prometheus.log; do
      [[ -f $work/$f ]] || continue
      echo "---- $f, last 30 lines ----" >&2
      tail -n 30 "$work/$f" >&2
    done
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local limit=$1
  shift
  local until=$((SECONDS + limit))
  while ((SECONDS < until)); do
    "$@" && return 0
    sleep 0.5
  done
  return 1
}

port=$(bash "$src/scripts/mariadb-test.sh" start "$work/mariadb")
sock=$work/mariadb/mysqld.sock
mariadb --no-defaults --socket="$sock" -uroot -e "CREATE DATABASE engagementd_monitoring"
echo test >"$work/db-password"
chmod 600 "$work/db-password"
cat >"$work/engagementd.yaml" <<EOF
database:
  backend: mysql
  host: 127.0.0.1
  port: $port
  name: engagementd_monitoring
  user: engagementd_test
  password_file: $work/db-password
  connect_timeout: 2s
  read_timeout: 2s
  write_timeout: 2s
  reconnect_max: 1s
tick:
  interval: 500ms
metrics:
  enabled: true
  port: 0
EOF
"$bin" migrate -c "$work/engagementd.yaml" >"$work/migrate.log" 2>&1 ||
  { cat "$work/migrate.log" >&2; fail "migrate"; }
# A live stream with real viewers and likes, so the audience series move.
mariadb --no-defaults --socket="$sock" -uroot engagementd_monitoring -e "
  INSERT INTO live_streams (id, vendor_id, title, status, started_at) VALUES (1, 1, 'Live', 'live', NOW());
  INSERT INTO stream_viewers (stream_id, session_id) VALUES (1, 'a'), (1, 'b'), (1, 'c');
  INSERT INTO stream_interactions (stream_id, interaction_type) VALUES (1, 'like'), (1, 'like');"

"$bin" run -c "$work/engagementd.yaml" >"$work/daemon.log" 2>&1 &
daemon_pid=$!
metrics_listening() { grep -q 'metrics listening on http://127.0.0.1:' "$work/daemon.log"; }
wait_for 30 metrics_listening || fail "the daemon did not start its metrics listener"
target=$(sed -n 's#.*metrics listening on http://\(127\.0\.0\.1:[0-9]*\)/metrics.*#\1#p' "$work/daemon.log" | head -n 1)
echo "engagementd (pid $daemon_pid) on MariaDB 127.0.0.1:$port, /metrics on $target"

# Prometheus: 1 s scrapes and rule evaluations, the shipped rules file itself.
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $rules
scrape_configs:
  - job_name: engagementd
    static_configs:
      - targets: ['$target']
EOF
promtool check config "$work/prometheus.yml" >/dev/null || fail "promtool check config"
# A free loopback port outside the ranges the other tests pick from; another
# one if it was taken meanwhile.
prom=""
for attempt in $(seq 1 10); do
  p=$((19100 + RANDOM % 100))
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
  prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus-data" \
    --web.listen-address="127.0.0.1:$p" --log.level=warn >"$work/prometheus.log" 2>&1 &
  prom_pid=$!
  ready() { curl -sf "http://127.0.0.1:$p/-/ready" >/dev/null; }
  if wait_for 30 ready; then
    prom=http://127.0.0.1:$p
    break
  fi
  kill -TERM "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
  prom_pid=""
  grep -q "address already in use" "$work/prometheus.log" || fail "Prometheus did not start"
done
[[ -n $prom ]] || fail "no free port for Prometheus"
echo "Prometheus (pid $prom_pid) on $prom"

# query EXPR: the result of an instant query, as JSON (status checked).
query() {
  local out
  out=$(curl -sf --get "$prom/api/v1/query" --data-urlencode "query=$1") || return 1
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["status"]=="success"; print(json.dumps(d["data"]["result"]))' "$out"
}
# value EXPR: the first sample's value, empty when there is none.
value() {
  query "$1" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[0]["value"][1] if r else "")'
}
# The state of the named alert (pending, firing), empty when inactive.
alert_state() {
  curl -sf "$prom/api/v1/alerts" | python3 -c '
import json, sys
alerts = [a for a in json.load(sys.stdin)["data"]["alerts"] if a["labels"]["alertname"] == sys.argv[1]]
print(alerts[0]["state"] if alerts else "")' "$1"
}
all_alerts() {
  curl -sf "$prom/api/v1/alerts" | python3 -c '
import json, sys
print(" ".join(a["labels"]["alertname"] + "=" + a["state"] for a in json.load(sys.stdin)["data"]["alerts"]))'
}
# The alerts that have no cause: EngagementdTickOverran is left out once the
# daemon has logged an overrun (a loaded machine can make a tick longer than
# its interval; the alert is then right).
unexplained_alerts() {
  local a
  for a in $(all_alerts); do
    [[ $a == EngagementdTickOverran=* ]] && grep -q "tick overran its interval" "$work/daemon.log" &&
      continue
    echo "$a"
  done
}

scraped() { [[ $(value 'up{job="engagementd"}') == 1 && $(value 'engagementd_viewers{source="real"}') == 3 ]]; }
wait_for 60 scraped || fail "Prometheus does not scrape the daemon (or the 3 real viewers are not counted)"
# Rates need a few scrapes.
sleep 5

# Every metric named by the rules and the dashboard is in the daemon's /metrics.
curl -sf "http://$target/metrics" >"$work/metrics.txt" || fail "GET /metrics"
exported=$(grep -v '^#' "$work/metrics.txt" | sed 's/[{ ].*//' | sort -u)
named=$({ rule_expressions; dashboard_queries; } | grep -oE '\b(engagementd_[a-z_]+|process_start_time_seconds)\b' | sort -u)
missing=$(comm -13 <(echo "$exported") <(echo "$named"))
[[ -z $missing ]] || fail "named in the rules or the dashboard but not in /metrics: $missing"
echo "$(wc -l <<<"$named") metrics named by the rules and the dashboard, all in /metrics"

# Every dashboard query evaluates; each returns data, except the ones that
# keep only non-zero series (> 0), which are empty while all is well.
n=0
while IFS= read -r expr; do
  q=${expr//\$__rate_interval/1m}
  q=${q//\$job/.*}
  q=${q//\$instance/.*}
  result=$(query "$q") || fail "Prometheus refuses the dashboard query: $expr"
  if [[ $result == "[]" && ! $expr =~ \>\ 0$ ]]; then
    fail "the dashboard query returns nothing: $expr"
  fi
  n=$((n + 1))
done < <(dashboard_queries)
echo "$n dashboard queries evaluate on the live data"
[[ $(value 'sum(engagementd_viewers{source="simulated"})') -gt 0 ]] ||
  fail "no simulated viewers after the first ticks"

# The rules are loaded and quiet while all is well.
# Each rule evaluated without an error ("health": "ok").
rules_ok=$(curl -sf "$prom/api/v1/rules" | python3 -c '
import json, sys
print(sum(r["health"] == "ok" for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]))')
[[ $rules_ok == "$(alert_names | wc -l)" ]] ||
  fail "$rules_ok rules loaded and evaluated without error, not $(alert_names | wc -l)"
[[ -z $(unexplained_alerts) ]] || fail "alerts while all is well: $(unexplained_alerts)"

# The database stops: the ticks fail and the connection is gone.
t0=$SECONDS
bash "$src/scripts/mariadb-test.sh" stop "$work/mariadb"
pending() { [[ $(alert_state "$1") == pending ]]; }
wait_for 60 pending EngagementdTicksFailing ||
  fail "EngagementdTicksFailing not pending after the database stopped (alerts: $(all_alerts))"
echo "database stopped: EngagementdTicksFailing pending after $((SECONDS - t0)) s"
wait_for 30 pending EngagementdDatabaseUnreachable ||
  fail "EngagementdDatabaseUnreachable not pending (alerts: $(all_alerts))"
echo "database stopped: EngagementdDatabaseUnreachable pending after $((SECONDS - t0)) s"
[[ $(value 'engagementd_ticks_failing') -gt 0 ]] || fail "engagementd_ticks_failing is 0"

# It comes back: both clear.
t0=$SECONDS
bash "$src/scripts/mariadb-test.sh" resume "$work/mariadb" >/dev/null
inactive() { [[ -z $(alert_state "$1") ]]; }
wait_for 90 inactive EngagementdTicksFailing ||
  fail "EngagementdTicksFailing still $(alert_state EngagementdTicksFailing) after the database came back"
wait_for 30 inactive EngagementdDatabaseUnreachable ||
  fail "EngagementdDatabaseUnreachable still $(alert_state EngagementdDatabaseUnreachable)"
echo "database back: both alerts cleared after $((SECONDS - t0)) s"
[[ -z $(unexplained_alerts) ]] || fail "alerts after the database came back: $(unexplained_alerts)"
[[ $(value 'engagementd_database_up') == 1 ]] || fail "engagementd_database_up is not 1 again"
echo "OK: Prometheus saw the shipped alerts follow a real database outage"
