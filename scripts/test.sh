#!/usr/bin/env bash
# Builds engagementd and runs every test: unit tests, and the store and
# end-to-end tests on SQLite and on a throwaway MariaDB started here (on
# 127.0.0.1, under build/mariadb-test) and stopped again however the run ends.
# Then builds the Debian package and installs it with dpkg -i
# (scripts/package.sh), and with apt on a clean Debian 12 tree
# (scripts/deb-clean-install.sh: reaches the Debian archive).
# Usage (as root on Debian 12): bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh --test

build=build
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DENGAGEMENTD_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)"

# The library (engagementd_cli: every layer) in Release too (-O3 inlines
# more, and GCC warns about more): warnings are errors here as in the build
# above.
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
  -DENGAGEMENTD_WERROR=ON >/dev/null
cmake --build build-release -j"$(nproc)" --target engagementd_cli

server=$build/mariadb-test
trap 'bash scripts/mariadb-test.sh stop "$server"' EXIT
port=$(bash scripts/mariadb-test.sh start "$server")
echo "Throwaway MariaDB on 127.0.0.1:$port (pid $(cat "$server/mariadbd.pid"))"

cmake -S . -B "$build" \
  -DENGAGEMENTD_TEST_MYSQL="host=127.0.0.1 port=$port user=engagementd_test password=test" >/dev/null
ctest --test-dir "$build" --output-on-failure -j"$(nproc)"

bash scripts/package.sh "$build"

# The package on a clean Debian 12: apt fetches its Depends from the archive,
# so a missing one fails here.
debs=("$build"/engagementd_*.deb)
bash scripts/deb-clean-install.sh "${debs[0]}"
