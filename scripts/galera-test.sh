#!/usr/bin/env bash
# A throwaway 3-node Galera cluster for the tests: three MariaDB servers on
# 127.0.0.1, each with its own datadir, socket, client port and Galera ports
# (group communication, incremental and full state transfer) under DIR.
#   galera-test.sh start DIR   start it (fresh datadirs); prints the three client ports
#   galera-test.sh stop DIR    stop the servers started from DIR, by their PIDs
#   galera-test.sh ports DIR   print the client ports of a started cluster
# Node N (1..3) lives in DIR/nodeN: mariadbd.pid, mysqld.sock, error.log.
# Full state transfer is by rsync, which runs as the server's user: as root
# the servers run as `mysql` and DIR is handed to it, so DIR must be
# somewhere that user can reach (not under a private home directory).
# GALERA_TEST_PORTS=FIRST-LAST picks the port range (default 14000-14999);
# the cluster takes 12 consecutive free ports from it. The range must lie
# outside the kernel's ephemeral ports (net.ipv4.ip_local_port_range) and
# the 20000-40000 the site tests' PHP servers pick from: a node's IST and
# SST ports are bound only during a state transfer, and if anything took
# one meanwhile (a client's ephemeral port, another test's server), a node
# that rejoins after a moment cut off cannot receive the transfer and aborts
# ("neither SST nor IST is possible").
set -euo pipefail

cmd=${1:?usage: galera-test.sh start|stop|ports DIR}
dir=${2:?usage: galera-test.sh start|stop|ports DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
nodes=(1 2 3)
provider=${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}

if [[ $(id -u) -eq 0 ]]; then
  user=mysql
else
  user=$(id -un)
fi

# shellcheck source=scripts/mariadbd-stop.sh
source "$(dirname "$0")/mariadbd-stop.sh"
stop_node() { stop_mariadbd "$dir/node$1/mariadbd.pid" "node $1"; }

stop_all() {
  # The last node up is stopped last: it is then the one safe to bootstrap
  # from (not needed here, each start is fresh, but it is the DBA's order).
  local n f
  for n in 3 2 1; do stop_node "$n"; done
  for f in "$claims"/galera-*; do
    [[ -f $f && $(cat "$f" 2>/dev/null) == "$dir" ]] && rm -f "$f"
  done
  return 0
}

# The first of 12 consecutive ports that nothing listens on, from a random
# place in the range (parallel runs rarely collide; start retries if they do).
ports=${GALERA_TEST_PORTS:-14000-14999}
first=${ports%-*}
count=$((${ports#*-} - first + 1))
last=$((first + count - 1))
if [[ -r /proc/sys/net/ipv4/ip_local_port_range ]]; then
  read -r eph_first eph_last </proc/sys/net/ipv4/ip_local_port_range
  if ((first <= eph_last && last >= eph_first)); then
    echo "galera-test.sh: ports $ports overlap the ephemeral ports $eph_first-$eph_last" \
      "(net.ipv4.ip_local_port_range); pick GALERA_TEST_PORTS outside them" >&2
    exit 1
  fi
fi
# Free: nothing listens there and no connection uses it (not even one in
# TIME_WAIT from an earlier run: Galera binds its ports without reusing them).
port_free() {
  if command -v ss >/dev/null; then
    [[ -z $(ss -Htan "( sport = :$1 or dport = :$1 )" 2>/dev/null) ]]
  else
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}
# A block is also claimed (a file in $claims naming DIR) from its choice
# until stop: its IST and SST ports are bound only during a transfer, and
# no other cluster may take them meanwhile. A claim lapses once its DIR is
# gone.
claims=/tmp/engagementd-test-ports
claimed_by_other() {
  local owner
  owner=$(cat "$claims/galera-$1" 2>/dev/null) || return 1
  [[ $owner != "$dir" && -d $owner/node1 ]]
}
free_base() {
  local i b k ok offset=$((RANDOM % (count / 12)))
  for i in $(seq 0 $((count / 12 - 1))); do
    b=$((first + ((offset + i) % (count / 12)) * 12))
    claimed_by_other "$b" && continue
    ok=1
    for k in $(seq 0 11); do
      port_free $((b + k)) || { ok=0; break; }
    done
    [[ $ok -eq 1 ]] && { echo "$b"; return 0; }
  done
  echo "no 12 free consecutive ports in $ports" >&2
  return 1
}

sql() {  # sql N STATEMENT: runs on node N as root through its socket
  mariadb --no-defaults --socket="$dir/node$1/mysqld.sock" -uroot -N -B -e "$2"
}

# Starts node N; node 1 bootstraps a new cluster, the others join it.
# Returns 0 once the node answers and is synced with the cluster, 2 if a
# port was taken, 1 on any other failure.
launch() {
  local n=$1 base=$2 bootstrap=${3:-0}
  local nd=$dir/node$n
  local client=$((base + n - 1)) gcomm=$((base + 3 + n - 1)) ist=$((base + 6 + n - 1))
  local sst=$((base + 9 + n - 1))
  local address="gcomm://127.0.0.1:$((base + 3)),127.0.0.1:$((base + 4)),127.0.0.1:$((base + 5))"
  local extra=()
  [[ $bootstrap -eq 1 ]] && extra+=(--wsrep-new-cluster)
  : >"$nd/error.log"
  rm -f "$nd/mariadbd.pid"
  [[ $user == mysql ]] && chown mysql:mysql "$nd/error.log"
  # Failure detection (evs.*) well above the defaults: on a loaded machine a
  # node starved of CPU for a few seconds would otherwise be cut off and
  # have to rejoin by a state transfer. The tests stop nodes only with
  # SIGTERM, a clean leave that needs no timeout.
  mariadbd --no-defaults --datadir="$nd/data" --tmpdir="$nd/tmp" --socket="$nd/mysqld.sock" \
    --port="$client" --bind-address=127.0.0.1 --pid-file="$nd/mariadbd.pid" \
    --log-error="$nd/error.log" --user="$user" --skip-name-resolve \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=48M \
    --innodb-flush-log-at-trx-commit=2 --max-connections=200 \
    --binlog-format=ROW --innodb-autoinc-lock-mode=2 --default-storage-engine=InnoDB \
    --wsrep-on=ON --wsrep-provider="$provider" --wsrep-cluster-name=engagementd_test \
    --wsrep-cluster-address="$address" --wsrep-node-name="node$n" \
    --wsrep-node-address="127.0.0.1:$gcomm" --wsrep-node-incoming-address="127.0.0.1:$client" \
    --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:$sst" \
    --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$gcomm;ist.recv_addr=127.0.0.1:$ist;gcache.size=64M;evs.suspect_timeout=PT30S;evs.inactive_timeout=PT60S;evs.install_timeout=PT30S" \
    --wsrep-slave-threads=2 "${extra[@]}" ${GALERA_TEST_ARGS:-} >/dev/null 2>&1 &
  local launched=$! state=""
  for _ in $(seq 1 180); do
    if ! kill -0 "$launched" 2>/dev/null; then break; fi
    state=$(sql "$n" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
                      WHERE VARIABLE_NAME = 'wsrep_local_state_comment'" 2>/dev/null || true)
    if [[ $state == Synced ]]; then
      [[ -s $nd/mariadbd.pid ]] || echo "$launched" >"$nd/mariadbd.pid"
      return 0
    fi
    sleep 0.5
  done
  kill -TERM "$launched" 2>/dev/null || true
  echo "Galera node $n failed to start (state '${state}'):" >&2
  tail -n 40 "$nd/error.log" >&2
  grep -q "Address already in use" "$nd/error.log" 2>/dev/null && return 2
  return 1
}

case "$cmd" in
  stop)
    stop_all
    ;;
  ports)
    [[ -f $dir/ports ]] || { echo "no cluster started in $dir" >&2; exit 1; }
    cat "$dir/ports"
    ;;
  start)
    stop_all  # servers left over from an interrupted run
    [[ -x $(command -v mariadbd) && -f $provider ]] || {
      echo "galera-test.sh needs mariadb-server and galera-4 ($provider)" >&2
      exit 1
    }
    command -v rsync >/dev/null || { echo "galera-test.sh needs rsync" >&2; exit 1; }
    # A whole new cluster on other ports when a port was taken meanwhile
    # (another run picked the same block between the check and the bind).
    for attempt in $(seq 1 5); do
      # Each node's temporary files in its own tmp/, not /tmp: nothing
      # another program does there (a cleanup, another server) can take a
      # temporary table from under it (seen: mariadb-install-db failing with
      # "Could not remove temporary table: '/tmp/#sql-temptable-...', error: 2").
      for n in "${nodes[@]}"; do
        rm -rf "$dir/node$n"
        mkdir -p "$dir/node$n/data" "$dir/node$n/tmp"
        chmod 1777 "$dir/node$n/tmp"
      done
      mariadb-install-db --no-defaults --datadir="$dir/node1/data" --user="$user" \
        --tmpdir="$dir/node1/tmp" \
        --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 || {
        cat "$dir/install.log" >&2
        exit 1
      }
      [[ $user == mysql ]] && chown -R mysql:mysql "$dir"
      base=$(free_base)
      mkdir -p "$claims"
      echo "$dir" >"$claims/galera-$base"
      rc=0
      launch 1 "$base" 1 || rc=$?
      if [[ $rc -eq 0 ]]; then
        sql 1 "CREATE USER IF NOT EXISTS 'engagementd_test'@'127.0.0.1' IDENTIFIED BY 'test';
               GRANT ALL PRIVILEGES ON *.* TO 'engagementd_test'@'127.0.0.1' WITH GRANT OPTION;"
        for n in 2 3; do
          # One joiner at a time: each takes a full state transfer from a donor.
          launch "$n" "$base" || { rc=$?; break; }
        done
      fi
      [[ $rc -eq 0 ]] && break
      stop_all
      if [[ $rc -eq 2 && $attempt -lt 5 ]]; then
        echo "a port of block $base was taken; starting again on other ports" >&2
        continue
      fi
      exit 1
    done
    size=$(sql 1 "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
                  WHERE VARIABLE_NAME = 'wsrep_cluster_size'")
    if [[ $size != 3 ]]; then
      echo "the cluster has $size nodes, not 3" >&2
      stop_all
      exit 1
    fi
    echo "$base $((base + 1)) $((base + 2))" >"$dir/ports"
    cat "$dir/ports"
    ;;
  *)
    echo "usage: galera-test.sh start|stop|ports DIR" >&2
    exit 2
    ;;
esac
