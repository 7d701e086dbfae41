#!/usr/bin/env bash
# Installs the Debian package on a clean Debian 12: a fresh bookworm tree
# (mmdebstrap, apt variant) in a temporary directory, `apt install` of the
# .deb there (apt fetches its Depends from the archive), then the installed
# binary's --version, a short run on SQLite, and a purge. Needs the network
# to the Debian archive and ~200 MB in /tmp; takes about a minute. Not part
# of scripts/test.sh, which installs the package on this machine instead.
# Usage (as root): bash scripts/deb-clean-install.sh build/engagementd_*.deb
set -euo pipefail
deb=$(realpath "${1:?usage: deb-clean-install.sh PACKAGE.deb}")
version=$(dpkg-deb -f "$deb" Version)

if ! command -v mmdebstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
    --no-install-recommends mmdebstrap
fi

root=$(mktemp -d /tmp/engagementd-clean-XXXXXX)
trap 'rm -rf --one-file-system "$root"' EXIT
echo "Creating a clean bookworm tree in $root"
mmdebstrap --quiet --variant=apt --mode=root bookworm "$root" http://deb.debian.org/debian
cp "$deb" "$root/tmp/engagementd.deb"
cp /etc/resolv.conf "$root/etc/resolv.conf"

chroot "$root" /bin/sh -s "$version" <<'INSIDE'
set -e
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends /tmp/engagementd.deb >/tmp/install.log 2>&1 ||
  { cat /tmp/install.log; exit 1; }
echo "Installed with: $(grep -c '^Setting up' /tmp/install.log) packages set up"
test "$(/usr/sbin/engagementd --version)" = "engagementd ${1%-*}"
echo "/usr/sbin/engagementd --version: $(/usr/sbin/engagementd --version)"
dpkg-query -W -f='${Conffiles}\n' engagementd | grep -q /etc/engagementd/engagementd.yaml
printf 'database:\n  backend: sqlite3\n  path: /tmp/demo.db\ntick:\n  interval: 200ms\n' >/tmp/e.yaml
engagementd check-config -c /tmp/e.yaml
engagementd migrate -c /tmp/e.yaml 2>/dev/null
engagementd run -c /tmp/e.yaml --duration 1s 2>/tmp/run.log
grep -q 'stopped after' /tmp/run.log
apt-get purge -y -qq engagementd >/dev/null 2>&1
test ! -e /etc/engagementd/engagementd.yaml
echo "purged cleanly"
INSIDE
echo "OK: $deb installs, runs and purges on a clean Debian 12"
