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
cleanup() {
  bash "$src/scripts/galera-test.sh" stop "$dir/cluster" || true
  rm -rf "$dir"
}
trap cleanup EXIT

started=$(date +%s)
if ! ports=$(bash "$src/scripts/galera-test.sh" start "$dir/cluster"); then
  echo "the Galera cluster did not start; see the errors above" >&2
  exit 1
fi
echo "Galera cluster on 127.0.0.1, client ports $ports (started in $(($(date +%s) - started)) s)"
"$tests" --ports "$ports" --cluster "$dir/cluster" -w NoTests --durations yes
