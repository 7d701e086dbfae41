#!/usr/bin/env bash
# php/install.sh on a copy of the real site: installs, is idempotent, and
# --uninstall leaves the site byte-identical (diff -r, modes too); it refuses,
# changing nothing, when a file it would change is not the version it knows,
# and uninstall refuses when an installed file was edited since. The kit's
# state lies outside the site, and a symlink planted in it (or in the site
# where the kit writes) makes install.sh refuse with nothing written. The
# kit version in engagementd.php is the one install.sh computes.
#   kit_install_test.sh SOURCE_DIR WORK_DIR      (exit 77: ../shared/site absent)
set -euo pipefail

src=$(cd "${1:?source dir}" && pwd)
work=${2:?work dir}
tarball=$(cd "$src/.." && pwd)/shared/site/edd-faf6710.tar.gz
if [[ ! -f $tarball ]]; then
  echo "SKIPPED: the real site is not here ($tarball absent); the site tests need it."
  exit 77
fi
rm -rf "$work"
mkdir -p "$work/orig" "$work/copy"
trap 'rm -rf "$work"' EXIT
tar xzf "$tarball" -C "$work/orig"
tar xzf "$tarball" -C "$work/copy"
orig=$work/orig/edd
site=$work/copy/edd
state=$work/state
install() { bash "$src/php/install.sh" --state-dir "$state" "$@"; }

modes() { (cd "$1" && find . -printf '%p %m\n' | sort); }
snapshot() { (cd "$1" && find . -printf '%p %m %s %T@ %l\n' | sort); }
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== the kit's version is the one install.sh computes"
want=$(bash "$src/php/install.sh" --kit-id)
got=$(sed -n "s/^define('ENGAGEMENTD_KIT_VERSION', '\(.*\)');.*/\1/p" "$src/php/site/includes/engagementd.php")
[[ $want == "$got" ]] || fail "engagementd.php says ENGAGEMENTD_KIT_VERSION '$got'; the kit's files give '$want' (set it to the value of install.sh --kit-id)"

echo "== install"
install "$site"
diff -rq "$orig" "$site" >"$work/changed.txt" || true
echo "files changed or added: $(grep -c . "$work/changed.txt")"
kit_state=$(ls -d "$state"/*-edd)
[[ -d $kit_state/backup && -f $kit_state/installed ]] || fail "no backups kept in $state"
case $(cd "$kit_state" && pwd -P)/ in "$(cd "$site" && pwd -P)"/*) fail "the kit's state is under the site" ;; esac
[[ -z $(find "$site" -name '.engagementd-kit*') ]] || fail "the kit left files in the site's document root"
[[ $(stat -c %a "$state") == 700 && $(stat -c %a "$kit_state") == 700 ]] || fail "the state is not private"
[[ $(stat -c %a "$site/api/live/viewers.php") == $(stat -c %a "$orig/api/live/viewers.php") ]] || fail "a replaced file lost its mode"
grep -q 'api/streams/start.php' "$work/changed.txt" || fail "start.php not replaced"
php -l "$site/live.php" >/dev/null || fail "live.php does not parse after the kit"
for f in $(awk '$1 != "#" && NF { print $2 }' "$src/php/MANIFEST"); do
  php -l "$site/$f" >/dev/null || fail "$f does not parse after the kit"
done

echo "== install again: nothing to do"
install "$site" | tee "$work/again.txt"
grep -q 'already installed' "$work/again.txt" || fail "second install was not a no-op"

echo "== uninstall without the site's database settings (no .env): refused, nothing changed"
before=$(cd "$site" && find . -type f -exec sha256sum {} + | sort)
rc=0
install --uninstall "$site" >"$work/out.txt" 2>&1 || rc=$?
cat "$work/out.txt"
[[ $rc -ne 0 ]] && grep -q "cannot read the site's database settings" "$work/out.txt" \
  || fail "--uninstall went on without knowing whether engagementd runs"
[[ $(cd "$site" && find . -type f -exec sha256sum {} + | sort) == "$before" && -f $kit_state/installed ]] \
  || fail "a refused --uninstall changed something"

echo "== uninstall: byte-identical"
install --uninstall --skip-db-check "$site" | tail -n 1
diff -r "$orig" "$site" || fail "the site differs from the original after --uninstall"
diff <(modes "$orig") <(modes "$site") || fail "file modes differ after --uninstall"
[[ ! -e $kit_state ]] || fail "the kit's state was left behind"
echo "identical to the original (content, files and modes)"

echo "== a file the kit would change was edited: install refuses and changes nothing"
echo "// a local change" >>"$site/api/live/viewers.php"
cp -a "$site" "$work/edited"
rc=0
install "$site" 2>"$work/refusal.txt" || rc=$?
cat "$work/refusal.txt"
[[ $rc -ne 0 ]] || fail "install accepted a file it does not know"
grep -q 'api/live/viewers.php is not the version the kit knows' "$work/refusal.txt" || fail "the refusal does not name the file"
diff -r "$work/edited" "$site" >/dev/null || fail "a refused install changed the site"
[[ -z $(ls -A "$state" 2>/dev/null) ]] || fail "a refused install left state behind"
cp -p "$orig/api/live/viewers.php" "$site/api/live/viewers.php"

echo "== an installed file edited afterwards: uninstall refuses"
install "$site" >/dev/null
cp -p "$site/api/streams/end.php" "$work/end.php"
echo "// edited after install" >>"$site/api/streams/end.php"
rc=0
install --uninstall --skip-db-check "$site" 2>"$work/refusal2.txt" || rc=$?
cat "$work/refusal2.txt"
[[ $rc -ne 0 ]] || fail "uninstall overwrote an edited file"
grep -q 'api/streams/end.php was changed after the kit installed it' "$work/refusal2.txt" || fail "the refusal does not name the file"
cp -p "$work/end.php" "$site/api/streams/end.php"
install --uninstall --skip-db-check "$site" >/dev/null
diff -r "$orig" "$site" || fail "the site differs from the original after the second --uninstall"
echo "== a symlink planted in the kit's state: install refuses, nothing written"
install "$site" >/dev/null
ln -s "$work/victim" "$kit_state/installed.new"
echo "root-only" >"$work/victim"
chmod 600 "$work/victim"
# A file the next install would change: the site as it was before the kit.
cp -p "$orig/api/live/stats.php" "$work/stats.php"
cp -p "$site/api/live/stats.php" "$work/stats.kit.php"
cp -p "$orig/api/live/stats.php" "$site/api/live/stats.php"
before_site=$(snapshot "$site"); before_state=$(snapshot "$state")
for args in "$site" "--uninstall --skip-db-check $site"; do
  rc=0
  # shellcheck disable=SC2086
  install $args >"$work/out.txt" 2>&1 || rc=$?
  cat "$work/out.txt"
  [[ $rc -ne 0 ]] || fail "install.sh $args accepted a symlink in its state"
  grep -q 'symlink' "$work/out.txt" || fail "the refusal does not say symlink"
  [[ $(snapshot "$site") == "$before_site" ]] || fail "install.sh $args wrote into the site"
  [[ $(snapshot "$state") == "$before_state" ]] || fail "install.sh $args wrote into its state"
  [[ $(cat "$work/victim") == root-only ]] || fail "install.sh $args wrote through the symlink"
done
rm "$kit_state/installed.new"
cp -p "$work/stats.kit.php" "$site/api/live/stats.php"

echo "== a symlink where the kit writes in the site: install refuses, nothing written"
install --uninstall --skip-db-check "$site" >/dev/null
mv "$site/api/live/interact.php" "$work/interact.php"
ln -s "$work/interact.php" "$site/api/live/interact.php"
before_site=$(snapshot "$site")
rc=0
install "$site" >"$work/out.txt" 2>&1 || rc=$?
cat "$work/out.txt"
[[ $rc -ne 0 ]] && grep -q 'interact.php is a symlink' "$work/out.txt" || fail "install accepted a symlinked site file"
[[ $(snapshot "$site") == "$before_site" && -z $(ls -A "$state") ]] || fail "a refused install wrote something"
rm "$site/api/live/interact.php"
mv "$work/interact.php" "$site/api/live/interact.php"

echo "== a state directory under the site, or writable by others: refused"
rc=0
bash "$src/php/install.sh" --state-dir "$site/kit-state" "$site" 2>"$work/out.txt" || rc=$?
cat "$work/out.txt"
[[ $rc -ne 0 && ! -e $site/kit-state ]] && grep -q 'is under the site' "$work/out.txt" || fail "a state under the site was accepted"
mkdir -p "$work/open" && chmod 777 "$work/open"
rc=0
bash "$src/php/install.sh" --state-dir "$work/open/state" "$site" 2>"$work/out.txt" || rc=$?
cat "$work/out.txt"
[[ $rc -ne 0 && ! -e $work/open/state ]] && grep -q 'writable by group or others' "$work/out.txt" || fail "a state in a world-writable directory was accepted"

echo "== a state kept in the site by an older kit: moved out on install, uninstall as before"
install "$site" >/dev/null
mv "$kit_state" "$site/.engagementd-kit"
install --uninstall --skip-db-check "$site" | tail -n 1
diff -r "$orig" "$site" || fail "the site differs after uninstalling with an older kit's state"
install "$site" >/dev/null
mv "$kit_state" "$site/.engagementd-kit"
install "$site" | grep 'moved the kit' || true
[[ ! -e $site/.engagementd-kit && -f $kit_state/installed ]] || fail "the older kit's state was not moved out of the site"
install --uninstall --skip-db-check "$site" >/dev/null
diff -r "$orig" "$site" || fail "the site differs after the last --uninstall"
echo "PASS: install, idempotent install, refusals (edited files, symlinks, state placement), a byte-identical uninstall"
