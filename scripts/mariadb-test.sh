#!/usr/bin/env bash
# A throwaway MariaDB for the tests: its own datadir, socket and port under
# DIR, listening on 127.0.0.1 only.
#   mariadb-test.sh start DIR   start it (a fresh datadir each time); prints the port
#   mariadb-test.sh stop DIR    stop the server started from DIR, by its PID
#   mariadb-test.sh resume DIR  start it again on its datadir and port (after stop)
# MARIADB_TEST_PORTS=FIRST-LAST picks the port range (default 13306-13399:
# outside the kernel's ephemeral ports, which a client's connection may take
# while the server is stopped, so that resume finds its port free).
# MARIADB_TEST_ARGS adds server options, split on blanks (e.g.
# "--default-time-zone=+05:00"); resume needs them again.
set -euo pipefail

cmd=${1:?usage: mariadb-test.sh start|stop|resume DIR}
dir=${2:?usage: mariadb-test.sh start|stop|resume DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pidfile=$dir/mariadbd.pid
user=$(id -un)

# shellcheck source=scripts/mariadbd-stop.sh
source "$(dirname "$0")/mariadbd-stop.sh"
stop() { stop_mariadbd "$pidfile" MariaDB; }

# A port in the range that nothing listens on and no other server's
# directory claims, from a random place in it: test runs started at the same
# moment rarely pick the same one, and start retries with another port if it
# was taken meanwhile. The claim (a file per port in $claims naming DIR)
# outlives stop, so that a server stopped by one test keeps its port for
# resume while other tests start theirs; it lapses once DIR's datadir is gone.
ports=${MARIADB_TEST_PORTS:-13306-13399}
first=${ports%-*}
count=$((${ports#*-} - first + 1))
claims=/tmp/engagementd-test-ports
claimed_by_other() {
  local owner
  owner=$(cat "$claims/mariadb-$1" 2>/dev/null) || return 1
  [[ $owner != "$dir" && -d $owner/data && $(cat "$owner/port" 2>/dev/null) == "$1" ]]
}
free_port() {
  local i p offset=$((RANDOM % count))
  for i in $(seq 0 $((count - 1))); do
    p=$((first + (offset + i) % count))
    claimed_by_other "$p" && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "no free port in $ports" >&2
  return 1
}

# Starts mariadbd on DIR's datadir and the given port. Returns 0 once it
# answers, 2 if the port was taken, 1 on any other failure.
launch() {
  local port=$1 launched
  : >"$dir/error.log"
  rm -f "$pidfile"
  mkdir -p "$dir/tmp"
  mariadbd --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" --socket="$dir/mysqld.sock" \
    --port="$port" --bind-address=127.0.0.1 --pid-file="$pidfile" \
    --log-error="$dir/error.log" --user="$user" --skip-log-bin --skip-name-resolve \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 \
    --max-connections=200 ${MARIADB_TEST_ARGS:-} >/dev/null 2>&1 &
  launched=$!
  for _ in $(seq 1 120); do
    if mariadb-admin --no-defaults --socket="$dir/mysqld.sock" -uroot ping >/dev/null 2>&1; then
      # The pid file appears once the server is up; fall back to the launched PID.
      [[ -s $pidfile ]] || echo "$launched" >"$pidfile"
      return 0
    fi
    kill -0 "$launched" 2>/dev/null || break
    sleep 0.5
  done
  if ! kill -0 "$launched" 2>/dev/null && grep -q "Address already in use" "$dir/error.log"; then
    return 2
  fi
  kill -TERM "$launched" 2>/dev/null || true
  echo "MariaDB failed to start:" >&2
  tail -n 30 "$dir/error.log" >&2
  return 1
}

case "$cmd" in
  stop)
    stop
    ;;
  start)
    stop  # a server left over from an interrupted run
    # Temporary files in DIR/tmp, not /tmp: nothing another program does
    # there can take a temporary table from under the server.
    rm -rf "$dir/data" "$dir/tmp"
    mkdir -p "$dir/tmp"
    mariadb-install-db --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" --user="$user" \
      --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 || {
      cat "$dir/install.log" >&2
      exit 1
    }
    for attempt in $(seq 1 10); do
      port=$(free_port)
      rc=0
      launch "$port" || rc=$?
      [[ $rc -eq 0 ]] && break
      # Another server took the port between the check and the bind.
      [[ $rc -eq 2 && $attempt -lt 10 ]] && continue
      exit 1
    done
    mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot -e "
      CREATE USER IF NOT EXISTS 'engagementd_test'@'127.0.0.1' IDENTIFIED BY 'test';
      GRANT ALL PRIVILEGES ON *.* TO 'engagementd_test'@'127.0.0.1' WITH GRANT OPTION;"
    echo "$port" >"$dir/port"
    mkdir -p "$claims"
    echo "$dir" >"$claims/mariadb-$port"
    echo "$port"
    ;;
  resume)
    [[ -f $dir/port && -d $dir/data ]] || { echo "nothing to resume in $dir" >&2; exit 1; }
    stop
    launch "$(cat "$dir/port")" || exit 1
    cat "$dir/port"
    ;;
  *)
    echo "usage: mariadb-test.sh start|stop|resume DIR" >&2
    exit 2
    ;;
esac
