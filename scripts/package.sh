#!/usr/bin/env bash
# Builds the Debian package (CPack) from a configured build directory, checks
# what it holds and what it depends on, installs it with dpkg -i and runs the
# installed binary. Safe to rerun: dpkg -i reinstalls the same version and
# keeps a changed /etc/engagementd/engagementd.yaml (a conffile).
# Usage (as root on Debian 12): bash scripts/package.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

fail() {
  echo "package: FAIL: $*" >&2
  exit 1
}

version=$(sed -n 's/^project(engagementd VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
[[ $prefix == /usr ]] || fail "$build is configured for prefix '$prefix'; the package needs -DCMAKE_INSTALL_PREFIX=/usr"

cmake --build "$build" -j"$(nproc)" --target engagementd >/dev/null
rm -f "$build"/engagementd_*.deb
(cd "$build" && cpack -G DEB >cpack.log 2>&1) || {
  cat "$build/cpack.log" >&2
  fail "cpack failed"
}
deb=$(ls "$build"/engagementd_"$version"-*_*.deb)
echo "Built $deb"

# What it holds: binary, config (as a conffile), unit, schema, docs.
contents=$(dpkg-deb -c "$deb")
for f in ./usr/sbin/engagementd ./etc/engagementd/engagementd.yaml \
  ./usr/lib/systemd/system/engagementd.service \
  ./usr/share/engagementd/schema/mysql/001_site_tables.sql \
  ./usr/share/engagementd/schema/sqlite/001_site_tables.sql \
  ./usr/share/engagementd/monitoring/engagementd.rules.yml \
  ./usr/share/engagementd/monitoring/engagementd-dashboard.json \
  ./usr/share/doc/engagementd/README.md ./usr/share/doc/engagementd/copyright; do
  grep -q " $f\$" <<<"$contents" || fail "$f is not in the package"
done
[[ $(dpkg-deb -I "$deb" conffiles) == /etc/engagementd/engagementd.yaml ]] ||
  fail "the config is not a conffile"

# What it depends on: the shared libraries the binary links, each available
# from the Debian 12 archive (so apt installs it on a clean system).
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libc6 libstdc++6 libsoci-core4.0 libsoci-mysql4.0 libsoci-sqlite3-4.0 libyaml-cpp0.7; do
  grep -q "\b$lib\b" <<<"$depends" || fail "Depends lacks $lib"
done
if apt-cache show --no-all-versions libc6 >/dev/null 2>&1; then
  tr ',' '\n' <<<"$depends" | sed 's/(.*//; s/ //g' | while read -r dep; do
    [[ -n $dep ]] || continue
    apt-cache show --no-all-versions "$dep" >/dev/null 2>&1 || fail "$dep is not in the archive"
  done
else
  echo "package: no apt package lists here (apt-get update); not checking the archive for Depends"
fi

# Install; dpkg does not wait for its lock, so wait here if another
# package operation holds it.
for attempt in $(seq 1 90); do
  if out=$(dpkg -i --force-confdef --force-confold "$deb" 2>&1); then
    break
  fi
  if grep -qi "lock" <<<"$out" && [[ $attempt -lt 90 ]]; then
    sleep 2
    continue
  fi
  echo "$out" >&2
  fail "dpkg -i failed"
done
status=$(dpkg-query -W -f='${Status} ${Version}' engagementd)
[[ $status == "install ok installed $version-"* ]] || fail "dpkg says: $status"
dpkg-query -W -f='${Conffiles}\n' engagementd | grep -q '/etc/engagementd/engagementd.yaml' ||
  fail "the installed config is not registered as a conffile"

installed=$(/usr/sbin/engagementd --version)
[[ $installed == "engagementd $version" ]] ||
  fail "/usr/sbin/engagementd --version printed '$installed', expected 'engagementd $version'"
/usr/sbin/engagementd check-config -c /etc/engagementd/engagementd.yaml >/dev/null ||
  fail "the installed config does not validate"
out=$(systemd-analyze verify /usr/lib/systemd/system/engagementd.service 2>&1) &&
  [[ -z $out ]] || fail "systemd-analyze verify of the installed unit: $out"
echo "Installed: $status; /usr/sbin/engagementd --version: $installed"
