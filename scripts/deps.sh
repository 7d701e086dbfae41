#!/usr/bin/env bash
# Installs the Debian 12 packages engagementd needs to build and run; with
# --test also what the test suite needs (Catch2, a MariaDB server to start a
# throwaway instance from, Galera with rsync and ss for the 3-node cluster of
# the galera tests, Chromium and libpng to render and read the preview chart,
# curl, systemd-analyze, Prometheus, promtool and python3 for the monitoring
# tests, mmdebstrap for the package's clean install, PHP with its MySQL driver
# for the site tests and php-codesniffer for the PHP kit's lint). Installs
# only what is missing, so it is cheap to rerun.
set -euo pipefail

packages=(build-essential cmake pkg-config libboost-dev libsoci-dev libmariadb-dev
          libyaml-cpp-dev libsqlite3-dev libsystemd-dev sqlite3)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(catch2 mariadb-server mariadb-client chromium libpng-dev curl systemd clang-14
               libclang-rt-14-dev php-cli php-mysql php-codesniffer galera-4 rsync iproute2 prometheus
               mmdebstrap python3)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "engagementd: missing packages: ${missing[*]}" >&2
  echo "run this script as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The tests start their own MariaDB; keep the package's system service from
# being started as a side effect of installing it here.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  added_policy=1
fi
# An EXIT trap's last status becomes the script's: keep it 0 when there is
# nothing to remove (images that ship their own policy-rc.d).
cleanup() {
  if [[ $added_policy -eq 1 ]]; then rm -f "$policy"; fi
}
trap cleanup EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
