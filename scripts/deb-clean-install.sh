#!/usr/bin/env bash
# Installs the Debian package on a clean Debian 12: a fresh bookworm tree
# (mmdebstrap, apt variant) in a temporary directory, `apt install` of the
# .deb there (apt fetches its Depends from the archive, so a missing Depends
# fails here), then the installed binary's --version, a short run on SQLite,
# the monitoring files, and a purge. Needs the network to the Debian archive
# and ~300 MB in /tmp. scripts/test.sh (the CI command) runs it.
#
# Cheap to rerun: the bare tree is kept as a tarball in CACHE_DIR (default
# /var/cache/engagementd-clean-install; rebuilt when a week old or with
# --refresh) and the Depends' .debs downloaded there too, so a second run
# unpacks the tree and installs without downloading again (under a minute;
# the first run takes a few). Each run starts from the same bare tree and
# leaves nothing behind but the cache.
# Usage (as root): bash scripts/deb-clean-install.sh [--refresh] build/engagementd_*.deb
set -euo pipefail
refresh=0
if [[ ${1:-} == --refresh ]]; then
  refresh=1
  shift
fi
deb=$(realpath "${1:?usage: deb-clean-install.sh [--refresh] PACKAGE.deb}")
version=$(dpkg-deb -f "$deb" Version)
cache=${CACHE_DIR:-/var/cache/engagementd-clean-install}
started=$SECONDS

if ! command -v mmdebstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
    --no-install-recommends mmdebstrap
fi

mkdir -p "$cache/archives"
tree=$cache/bookworm-apt.tar
if [[ $refresh -eq 1 || ! -s $tree || -n $(find "$tree" -mtime +6 2>/dev/null) ]]; then
  echo "Creating a bare bookworm tree ($tree)"
  # Written beside and renamed: an interrupted run leaves no half tarball.
  mmdebstrap --quiet --variant=apt --mode=root --format=tar bookworm "$tree.new" \
    http://deb.debian.org/debian
  mv -f "$tree.new" "$tree"
  # A new tree: the cached .debs may be older than its package lists.
  rm -f "$cache/archives/"*.deb
fi

root=$(mktemp -d /tmp/engagementd-clean-XXXXXX)
trap 'rm -rf --one-file-system "$root"' EXIT
tar -C "$root" -xf "$tree"
cp "$deb" "$root/tmp/engagementd.deb"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# apt keeps what it downloads in archives/ (the bare tree's apt variant
# deletes nothing after installing); the cached .debs go in first, the new
# ones come back out.
cp -n "$cache/archives/"*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true

chroot "$root" /bin/sh -s "$version" <<'INSIDE'
set -e
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends -o APT::Keep-Downloaded-Packages=true \
  /tmp/engagementd.deb >/tmp/install.log 2>&1 || { cat /tmp/install.log; exit 1; }
echo "Installed with: $(grep -c '^Setting up' /tmp/install.log) packages set up"
test "$(/usr/sbin/engagementd --version)" = "engagementd ${1%-*}"
echo "/usr/sbin/engagementd --version: $(/usr/sbin/engagementd --version)"
dpkg-query -W -f='${Conffiles}\n' engagementd | grep -q /etc/engagementd/engagementd.yaml
test -s /usr/share/engagementd/monitoring/engagementd.rules.yml
test -s /usr/share/engagementd/monitoring/engagementd-dashboard.json
printf 'database:\n  backend: sqlite3\n  path: /tmp/demo.db\ntick:\n  interval: 200ms\n' >/tmp/e.yaml
engagementd check-config -c /tmp/e.yaml
engagementd migrate -c /tmp/e.yaml 2>/dev/null
engagementd run -c /tmp/e.yaml --duration 1s 2>/tmp/run.log
grep -q 'stopped after' /tmp/run.log
apt-get purge -y -qq engagementd >/dev/null 2>&1
test ! -e /etc/engagementd/engagementd.yaml
test ! -e /usr/share/engagementd
echo "purged cleanly"
INSIDE
cp -n "$root/var/cache/apt/archives/"*.deb "$cache/archives/" 2>/dev/null || true
rm -f "$cache/archives/engagementd_"*.deb
echo "OK: $deb installs, runs and purges on a clean Debian 12 ($((SECONDS - started)) s)"
