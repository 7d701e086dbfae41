#!/usr/bin/env bash
# CTest splits a discovered test's name at every ';': a Catch2 test whose
# name holds one becomes two CTest tests that select nothing and fail.
#   check_test_names.sh TEST_BINARY...   fails naming every such test
set -uo pipefail
rc=0
for t in "$@"; do
  # Catch2 2 exits with the number of tests listed: an empty list is the failure.
  names=$("$t" --list-test-names-only)
  [[ -n $names ]] || { echo "$t: lists no test" >&2; rc=1; continue; }
  if grep -n ';' <<<"$names"; then
    echo "$t: the test name(s) above hold ';' (CTest splits names there)" >&2
    rc=1
  fi
done
exit "$rc"
