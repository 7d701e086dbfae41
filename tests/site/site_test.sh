#!/usr/bin/env bash
# The real site, with the PHP kit and the real daemon: stands the site up
# from ../shared/site/edd-faf6710.tar.gz (next to the source tree) on PHP's
# built-in server against a MariaDB database created the site's way
# (database/schema.sql, then the streaming migrations), installs the kit with
# php/install.sh, runs `engagementd migrate` and `engagementd run`, and drives
# the site's endpoints over HTTP (tests/site/drive.php).
#
#   site_test.sh SOURCE_DIR ENGAGEMENTD MYSQL_CONF_FILE WORK_DIR [--time-zone TZ]
#                [--scenario NAME]
#
# MYSQL_CONF_FILE holds "host=H port=P user=U password=W" (scripts/test.sh's
# throwaway MariaDB). With --time-zone the scenario runs on a private MariaDB
# started here (scripts/mariadb-test.sh) with --default-time-zone=TZ, so the
# setting does not reach the tests that share the other server.
# With --scenario NAME, once the site stands with the kit installed (before
# `engagementd migrate`), tests/site/scenarios/NAME.sh is sourced instead of
# the default scenario: it sees everything set up here (sql, $daemon, $site,
# $work, $src, the SITE_* variables, $work/engagementd.yaml) and sets
# daemon_pid for any daemon it starts, so that the cleanup stops it.
# Exits 77 (skipped) when ../shared/site is absent.
set -euo pipefail

src=$(cd "${1:?source dir}" && pwd)
daemon=${2:?engagementd binary}
conf_file=${3:?mysql conf file}
work=${4:?work dir}
tz=""
scenario=""
shift 4
while [[ $# -gt 0 ]]; do
  case $1 in
    --time-zone) tz=${2:?time zone}; shift 2 ;;
    --scenario) scenario=${2:?scenario name}; shift 2 ;;
    *) echo "site_test.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

shared=$(cd "$src/.." && pwd)/shared/site
tarball=$shared/edd-faf6710.tar.gz
if [[ ! -f $tarball ]]; then
  echo "SKIPPED: the real site is not here ($tarball absent); the site tests need it."
  exit 77
fi

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
php_pid=""
daemon_pid=""
private_db=""
cleanup() {
  local rc=$?
  if [[ -n $daemon_pid ]] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  if [[ -n $php_pid ]] && kill -0 "$php_pid" 2>/dev/null; then
    kill -TERM "$php_pid" 2>/dev/null || true
    wait "$php_pid" 2>/dev/null || true
  fi
  if [[ -n ${db:-} && -z $private_db ]]; then
    sql -e "DROP DATABASE IF EXISTS \`$db\`" || true
  fi
  if [[ -n $private_db ]]; then bash "$src/scripts/mariadb-test.sh" stop "$private_db" || true; fi
  if [[ $rc -ne 0 && -f $work/engagementd.log ]]; then
    echo "--- engagementd log (last 40 lines)"
    tail -n 40 "$work/engagementd.log"
  fi
  if [[ $rc -ne 0 && -f $work/php.log ]]; then
    echo "--- PHP server log (last 20 lines)"
    tail -n 20 "$work/php.log"
  fi
  exit "$rc"
}
trap cleanup EXIT

# The database server: the shared throwaway one, or a private one for a time zone.
if [[ -n $tz ]]; then
  private_db=$work/mariadb
  port=$(MARIADB_TEST_ARGS="--default-time-zone=$tz" bash "$src/scripts/mariadb-test.sh" start "$private_db")
  host=127.0.0.1 user=engagementd_test password=test
else
  conf=$(cat "$conf_file")
  if [[ -z $conf ]]; then
    echo "no MariaDB for the site test: $conf_file is empty (run bash scripts/test.sh)" >&2
    exit 1
  fi
  host=127.0.0.1 port=3306 user="" password=""
  for kv in $conf; do
    case $kv in
      host=*) host=${kv#host=} ;;
      port=*) port=${kv#port=} ;;
      user=*) user=${kv#user=} ;;
      password=*) password=${kv#password=} ;;
    esac
  done
fi
db_name=edd_site_$$_$RANDOM
printf '[client]\nhost=%s\nport=%s\nuser=%s\npassword=%s\n' "$host" "$port" "$user" "$password" \
  >"$work/client.cnf"
chmod 600 "$work/client.cnf"
sql() { mariadb --defaults-file="$work/client.cnf" "$@"; }

echo "== the site: $tarball"
mkdir -p "$work/site" "$work/sessions"
tar xzf "$tarball" -C "$work/site"
site=$work/site/edd
sql -e "SELECT CONCAT('database: MariaDB ', VERSION(), ', time_zone ', @@global.time_zone, ', now ', NOW())"
db=$db_name
sql -e "CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"

echo "== schema the site's way: database/schema.sql, then the streaming migrations"
sql "$db" <"$site/database/schema.sql"
# The site's StreamViewer::addViewer writes these; the dump lacks them (a real
# installation has them) and migrations/20251018_add_is_fake_columns.sql
# needs session_id.
sql "$db" -e "ALTER TABLE stream_viewers MODIFY user_id INT(11) NULL,
  ADD COLUMN session_id VARCHAR(255) NULL, ADD COLUMN ip_address VARCHAR(45) NULL,
  ADD COLUMN user_agent VARCHAR(500) NULL, ADD COLUMN is_active TINYINT(1) NOT NULL DEFAULT 1"
for f in migrations/20251015_live_stream_engagement_system.sql \
         migrations/20251017_enhance_live_streaming_system.sql \
         migrations/20251018_add_is_fake_columns.sql; do
  echo "   $f"
  # --force: the site's own migration 20251017 fails on its two views (ls.*
  # and v.id both named vendor_id), as on the site; the rest applies.
  sql --force "$db" <"$site/$f" 2>"$work/migration.err" || true
  if [[ -s $work/migration.err ]]; then
    grep '^ERROR' "$work/migration.err" | sed 's/^/     (the site'"'"'s own error, as on the site) /'
  fi
done
# 058, 059 and the Mux fields are PHP files that return or run their SQL:
# their statements, applied with the client.
echo "   database/migrations/058 (index), 059 (duration_seconds), add_mux_fields"
sql "$db" -e "ALTER TABLE stream_interactions ADD INDEX IF NOT EXISTS idx_stream_fake (stream_id, is_fake);
  ALTER TABLE live_streams ADD COLUMN IF NOT EXISTS duration_seconds BIGINT UNSIGNED NULL AFTER ended_at;
  CREATE INDEX IF NOT EXISTS idx_duration ON live_streams (duration_seconds);
  ALTER TABLE live_streams ADD COLUMN IF NOT EXISTS mux_stream_id VARCHAR(128) NULL DEFAULT NULL AFTER stream_key,
    ADD COLUMN IF NOT EXISTS mux_playback_id VARCHAR(128) NULL DEFAULT NULL AFTER mux_stream_id,
    ADD INDEX IF NOT EXISTS idx_mux_stream_id (mux_stream_id)"

# Two approved sellers, five buyers and an admin (ids far from the dump's).
sql "$db" -e "
  INSERT INTO users (id, username, email, role, status, is_verified) VALUES
    (9001, 'seller_one', 'seller1@example.test', 'seller', 'active', 1),
    (9002, 'seller_two', 'seller2@example.test', 'seller', 'active', 1),
    (9101, 'buyer_one', 'buyer1@example.test', 'customer', 'active', 1),
    (9102, 'buyer_two', 'buyer2@example.test', 'customer', 'active', 1),
    (9103, 'buyer_three', 'buyer3@example.test', 'customer', 'active', 1),
    (9104, 'buyer_four', 'buyer4@example.test', 'customer', 'active', 1),
    (9105, 'buyer_five', 'buyer5@example.test', 'customer', 'active', 1),
    (9201, 'site_admin', 'admin@example.test', 'admin', 'active', 1);
  INSERT INTO vendors (id, user_id, business_name, status, email) VALUES
    (9001, 9001, 'Seller One Shop', 'approved', 'seller1@example.test'),
    (9002, 9002, 'Seller Two Shop', 'approved', 'seller2@example.test');"

cat >"$site/.env" <<EOF
DB_HOST=$host
DB_PORT=$port
DB_NAME=$db
DB_USER=$user
DB_PASS=$password
DB_CHARSET=utf8mb4
APP_ENV=development
APP_DEBUG=false
APP_URL=http://127.0.0.1
EOF
chmod 600 "$site/.env"
# The site's Composer packages (Stripe's library) are not in the tarball and
# cannot be fetched here. templates/header.php loads Stripe's init for the
# publishable key, which throws without vendor/autoload.php and ends every
# page that has the site's header (live.php, seller/streams.php) after its
# <head>. An empty autoloader lets those pages render; no page under test
# calls Stripe. A site installed with `composer install` has the real one.
if [[ ! -f $site/vendor/autoload.php ]]; then
  mkdir -p "$site/vendor"
  echo '<?php // Test site: the Composer packages are not installed.' >"$site/vendor/autoload.php"
fi

echo "== the kit: bash php/install.sh"
bash "$src/php/install.sh" --state-dir "$work/kit-state" "$site" | tail -n 2
# Test helpers in the site copy: a login page (the site's own Session::set),
# and the start endpoint as it was before the site's stream_key fix.
cp "$src/tests/site/login.php" "$site/engagementd-test-login.php"
cp "$shared/start-before-key-fix.php" "$site/api/streams/start-before-key-fix.php"

# PHP's built-in server, loopback only, on a free port.
for _ in $(seq 1 20); do
  php_port=$((20000 + RANDOM % 20000))
  (exec 3<>"/dev/tcp/127.0.0.1/$php_port") 2>/dev/null && continue
  php -d session.save_path="$work/sessions" -d display_errors=0 -d log_errors=1 \
    -S "127.0.0.1:$php_port" -t "$site" >"$work/php.log" 2>&1 &
  php_pid=$!
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$php_port") 2>/dev/null && break
    kill -0 "$php_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$php_pid" 2>/dev/null && break
  php_pid=""
done
[[ -n $php_pid ]] || { echo "PHP's built-in server did not start" >&2; exit 1; }
echo "PHP built-in server on 127.0.0.1:$php_port (pid $php_pid)"
# The site's address is its APP_URL (the kit checks the Origin of every POST
# against it); the site reads .env on every request.
sed -i "s|^APP_URL=.*|APP_URL=http://127.0.0.1:$php_port|" "$site/.env"

ttl=4
echo "ENGAGEMENTD_REAL_VIEWER_TTL=$ttl" >>"$site/.env"
printf '%s' "$password" >"$work/db-password"
chmod 600 "$work/db-password"
cat >"$work/engagementd.yaml" <<EOF
database:
  backend: mysql
  host: $host
  port: $port
  name: $db
  user: $user
  password_file: $work/db-password
tick:
  interval: 1s
  max_catchup: 5s
simulation:
  enabled: true
  real_viewer_ttl: ${ttl}s
  seed: 7
log:
  level: info
EOF

export SITE_BASE=http://127.0.0.1:$php_port SITE_DB_HOST=$host SITE_DB_PORT=$port \
  SITE_DB_USER=$user SITE_DB_PASSWORD=$password SITE_DB_NAME=$db SITE_TTL=$ttl SITE_TICK=1 \
  SITE_TZ_LABEL=${tz:-server default}

# A scenario's end: no error line in the daemon's log, no PHP error in the
# server's.
check_logs() {
  if grep -E '^<[0-3]>' "$work/engagementd.log"; then
    echo "FAIL: the daemon's log has error lines (above)" >&2
    exit 1
  fi
  echo "daemon log: $(wc -l <"$work/engagementd.log") lines, no error line"
  if grep -E 'PHP (Fatal|Warning|Parse)' "$work/php.log"; then
    echo "FAIL: PHP errors in the server log (above)" >&2
    exit 1
  fi
}

if [[ -n $scenario ]]; then
  echo "== scenario: $scenario"
  # shellcheck source=/dev/null
  source "$src/tests/site/scenarios/$scenario.sh"
  exit 0
fi

echo "== before migrate: the kit on the site's own schema"
php "$src/tests/site/drive.php" before-migrate

if "$daemon" --help 2>&1 | grep -q '^  doctor'; then
  echo "== engagementd doctor (before migrate)"
  "$daemon" doctor -c "$work/engagementd.yaml" || echo "(doctor exit $?)"
fi
echo "== engagementd migrate"
"$daemon" migrate -c "$work/engagementd.yaml"
if "$daemon" --help 2>&1 | grep -q '^  doctor'; then
  echo "== engagementd doctor"
  "$daemon" doctor -c "$work/engagementd.yaml" || echo "(doctor exit $?)"
fi

echo "== engagementd run"
"$daemon" run -c "$work/engagementd.yaml" 2>"$work/engagementd.log" &
daemon_pid=$!

php "$src/tests/site/drive.php" scenario

kill -TERM "$daemon_pid"
rc=0
wait "$daemon_pid" || rc=$?
daemon_pid=""
[[ $rc -eq 0 ]] || { echo "engagementd run exited $rc on SIGTERM" >&2; exit 1; }
check_logs
where=${tz:-the server default}
echo "PASS: the real site, database time zone $where, shows the daemon's numbers"
