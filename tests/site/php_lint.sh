#!/usr/bin/env bash
# The PHP kit's lint: `php -l` on every PHP file of the kit (php/site) and of
# the site test's drivers (tests/site), then `phpcs` with the kit's ruleset
# (php/phpcs.xml.dist: PSR-12 and its few documented exclusions). Fails on
# any syntax error, coding-standard error or warning.
#   php_lint.sh SOURCE_DIR
# phpcs is Debian's php-codesniffer (scripts/deps.sh --test installs it).
set -euo pipefail

src=${1:?usage: php_lint.sh SOURCE_DIR}
command -v php >/dev/null || { echo "php_lint: php (php-cli) is not installed" >&2; exit 1; }
command -v phpcs >/dev/null \
  || { echo "php_lint: phpcs is not installed (php-codesniffer; scripts/deps.sh --test)" >&2; exit 1; }

mapfile -t files < <(cd "$src" && find php/site tests/site -name '*.php' -type f | LC_ALL=C sort)
[[ ${#files[@]} -gt 0 ]] || { echo "php_lint: no PHP files under $src/php/site" >&2; exit 1; }

bad=0
for f in "${files[@]}"; do
  if ! out=$(php -n -l "$src/$f" 2>&1); then
    echo "$out" >&2
    bad=1
  fi
done
[[ $bad -eq 0 ]] || { echo "php_lint: php -l found syntax errors" >&2; exit 1; }
echo "php -l: ${#files[@]} files, no syntax errors"

# -q: no progress; the report names each file, line and rule.
if ! phpcs -q --standard="$src/php/phpcs.xml.dist" --report=full; then
  echo "php_lint: phpcs (PSR-12, php/phpcs.xml.dist) found the violations above" >&2
  exit 1
fi
echo "phpcs: PSR-12 (php/phpcs.xml.dist), no violations"
