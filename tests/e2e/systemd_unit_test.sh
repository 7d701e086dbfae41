#!/usr/bin/env bash
# Checks the unit file with systemd's own tools:
#  - `systemd-analyze verify` prints nothing (it exits 0 on warnings, so any
#    output fails the test). verify needs ExecStart's binary to exist, so it
#    checks a copy whose commands point at the binary just built.
#  - `systemd-analyze security --offline=true` rates the exposure <= 2.0.
# Usage: systemd_unit_test.sh UNIT BINARY
set -euo pipefail
unit=${1:?unit file}
binary=${2:?engagementd binary}
max_exposure=2.0

dir=$(mktemp -d /tmp/engagementd-unit-XXXXXX)
trap 'rm -rf "$dir"' EXIT

grep -q '^ExecStart=/usr/sbin/engagementd ' "$unit" || {
  echo "FAIL: ExecStart does not run /usr/sbin/engagementd (where the package installs it)"
  exit 1
}
grep -q '^LimitCORE=0$' "$unit" || {
  echo "FAIL: no LimitCORE=0 (a core dump would hold the database password)"
  exit 1
}
sed "s#/usr/sbin/engagementd#$binary#g" "$unit" >"$dir/engagementd.service"

rc=0
out=$(systemd-analyze verify "$dir/engagementd.service" 2>&1) || rc=$?
if [[ $rc -ne 0 || -n $out ]]; then
  echo "FAIL: systemd-analyze verify (exit $rc) said:"
  echo "$out"
  exit 1
fi
echo "systemd-analyze verify: no output"

out=$(systemd-analyze security --offline=true "$unit" 2>&1) || true
line=$(grep -a 'Overall exposure level' <<<"$out" || true)
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p' <<<"$line")
if [[ -z $score ]]; then
  echo "FAIL: no exposure level in the output of systemd-analyze security:"
  echo "$out"
  exit 1
fi
echo "systemd-analyze security: exposure $score (at most $max_exposure)"
if ! awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }'; then
  echo "FAIL: exposure $score is above $max_exposure"
  grep -a '✗' <<<"$out" || true
  exit 1
fi
