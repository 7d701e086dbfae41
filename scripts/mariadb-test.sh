#!/usr/bin/env bash
# A throwaway MariaDB for the tests: its own datadir, socket and port under
# DIR, listening on 127.0.0.1 only.
#   mariadb-test.sh start DIR   start it (a fresh datadir each time); prints the port
#   mariadb-test.sh stop DIR    stop the server started from DIR, by its PID
set -euo pipefail

cmd=${1:?usage: mariadb-test.sh start|stop DIR}
dir=${2:?usage: mariadb-test.sh start|stop DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pidfile=$dir/mariadbd.pid
user=$(id -un)

stop() {
  [[ -f $pidfile ]] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 120); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "MariaDB (pid $pid) did not stop in 60 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

# A port in 33306..33399 that nothing listens on, from a random place in the
# range: test runs started at the same moment rarely pick the same one, and
# start retries with another port if it was taken meanwhile.
free_port() {
  local i p offset=$((RANDOM % 94))
  for i in $(seq 0 93); do
    p=$((33306 + (offset + i) % 94))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "no free port in 33306..33399" >&2
  return 1
}

case "$cmd" in
  stop)
    stop
    ;;
  start)
    stop  # a server left over from an interrupted run
    rm -rf "$dir/data"
    mariadb-install-db --no-defaults --datadir="$dir/data" --user="$user" \
      --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 || {
      cat "$dir/install.log" >&2
      exit 1
    }
    up=0
    for attempt in $(seq 1 10); do
      port=$(free_port)
      : >"$dir/error.log"
      rm -f "$pidfile"
      mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" \
        --port="$port" --bind-address=127.0.0.1 --pid-file="$pidfile" \
        --log-error="$dir/error.log" --user="$user" --skip-log-bin --skip-name-resolve \
        --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 \
        --max-connections=200 >/dev/null 2>&1 &
      launched=$!
      for _ in $(seq 1 120); do
        if mariadb-admin --no-defaults --socket="$dir/mysqld.sock" -uroot ping >/dev/null 2>&1; then
          up=1
          break
        fi
        kill -0 "$launched" 2>/dev/null || break
        sleep 0.5
      done
      [[ $up -eq 1 ]] && break
      if ! kill -0 "$launched" 2>/dev/null && grep -q "Address already in use" "$dir/error.log" &&
        [[ $attempt -lt 10 ]]; then
        continue  # another server took the port between the check and the bind
      fi
      kill -TERM "$launched" 2>/dev/null || true
      echo "MariaDB failed to start:" >&2
      tail -n 30 "$dir/error.log" >&2
      exit 1
    done
    # The pid file appears once the server is up; fall back to the launched PID.
    [[ -s $pidfile ]] || echo "$launched" >"$pidfile"
    mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot -e "
      CREATE USER IF NOT EXISTS 'engagementd_test'@'127.0.0.1' IDENTIFIED BY 'test';
      GRANT ALL PRIVILEGES ON *.* TO 'engagementd_test'@'127.0.0.1' WITH GRANT OPTION;"
    echo "$port" >"$dir/port"
    echo "$port"
    ;;
  *)
    echo "usage: mariadb-test.sh start|stop DIR" >&2
    exit 2
    ;;
esac
