#!/usr/bin/env bash
# The galera test label: starts a 3-node Galera cluster on loopback
# (scripts/galera-test.sh), runs tests/galera/test_galera.cpp against it,
# and stops it however the run ends. A cluster that cannot start fails the
# test: nothing is skipped.
# Usage: galera_test.sh SOURCE_DIR GALERA_TESTS_BINARY
set -euo pipefail
src=${1:?usage: galera_test.sh SOURCE_DIR GALERA_TESTS_BINARY}
tests=${2:?usage: galera_test.sh SOURCE_DIR GALERA_TESTS_BINARY}

# Under /tmp: the servers run as mysql (rsync state transfer), which must
# reach the directory; a build tree under a private home would not do.
dir=$(mktemp -d /tmp/engagementd-galera.XXXXXX)
chmod 755 "$dir"
# A failed run keeps each node's error log (and the instances' logs of the
# test databases) in $GALERA_TEST_KEEP (default: a directory beside the
# cluster's, printed) and prints the logs' tails: a node that stopped
# answering says why there. With GALERA_TEST_KEEP set, a run that passed
# keeps them too (to read the cluster's view changes under load).
keep=${GALERA_TEST_KEEP:-$dir.failed}
cleanup() {
  local rc=$?
  bash "$src/scripts/galera-test.sh" stop "$dir/cluster" || true
  if [[ ($rc -ne 0 || -n ${GALERA_TEST_KEEP:-}) && -d $dir/cluster ]]; then
    mkdir -p "$keep"
    (cd "$dir/cluster" && find . \( -name '*.log' -o -name ports \) -not -path './node*/data/*' \
      -exec cp --parents {} "$keep/" \;) 2>/dev/null || true
    echo "the cluster's logs are kept in $keep" >&2
  fi
  if [[ $rc -ne 0 ]]; then
    for n in 1 2 3; do
      [[ -f $dir/cluster/node$n/error.log ]] || continue
      echo "---- node $n error log, last 60 lines ($keep/node$n/error.log) ----" >&2
      tail -n 60 "$dir/cluster/node$n/error.log" >&2
    done
  fi
  rm -rf "$dir"
  exit "$rc"
}
trap cleanup EXIT

started=$(date +%s)
if ! ports=$(bash "$src/scripts/galera-test.sh" start "$dir/cluster"); then
  echo "the Galera cluster did not start; see the errors above" >&2
  exit 1
fi
echo "Galera cluster on 127.0.0.1, client ports $ports (started in $(($(date +%s) - started)) s)"
"$tests" --ports "$ports" --cluster "$dir/cluster" -w NoTests --durations yes
