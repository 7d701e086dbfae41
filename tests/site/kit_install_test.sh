#!/usr/bin/env bash
# php/install.sh on a copy of the real site: installs, is idempotent, and
# --uninstall leaves the site byte-identical (diff -r, modes too); it refuses,
# changing nothing, when a file it would change is not the version it knows,
# and uninstall refuses when an installed file was edited since.
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
install=$src/php/install.sh

modes() { (cd "$1" && find . -path ./.engagementd-kit -prune -o -printf '%p %m\n' | sort); }
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== install"
bash "$install" "$site"
diff -rq "$orig" "$site" >"$work/changed.txt" || true
echo "files changed or added: $(grep -c . "$work/changed.txt")"
[[ -d $site/.engagementd-kit/backup ]] || fail "no backups kept"
grep -q 'api/streams/start.php' "$work/changed.txt" || fail "start.php not replaced"
php -l "$site/live.php" >/dev/null || fail "live.php does not parse after the kit"
for f in $(awk '$1 != "#" && NF { print $2 }' "$src/php/MANIFEST"); do
  php -l "$site/$f" >/dev/null || fail "$f does not parse after the kit"
done

echo "== install again: nothing to do"
bash "$install" "$site" | tee "$work/again.txt"
grep -q 'already installed' "$work/again.txt" || fail "second install was not a no-op"

echo "== uninstall: byte-identical"
bash "$install" --uninstall "$site" | tail -n 1
diff -r "$orig" "$site" || fail "the site differs from the original after --uninstall"
diff <(modes "$orig") <(modes "$site") || fail "file modes differ after --uninstall"
[[ ! -e $site/.engagementd-kit ]] || fail ".engagementd-kit left behind"
echo "identical to the original (content, files and modes)"

echo "== a file the kit would change was edited: install refuses and changes nothing"
echo "// a local change" >>"$site/api/live/viewers.php"
cp -a "$site" "$work/edited"
rc=0
bash "$install" "$site" 2>"$work/refusal.txt" || rc=$?
cat "$work/refusal.txt"
[[ $rc -ne 0 ]] || fail "install accepted a file it does not know"
grep -q 'api/live/viewers.php is not the version the kit knows' "$work/refusal.txt" || fail "the refusal does not name the file"
diff -r "$work/edited" "$site" >/dev/null || fail "a refused install changed the site"
[[ ! -e $site/.engagementd-kit ]] || fail "a refused install left state behind"
cp -p "$orig/api/live/viewers.php" "$site/api/live/viewers.php"

echo "== an installed file edited afterwards: uninstall refuses"
bash "$install" "$site" >/dev/null
cp -p "$site/api/streams/end.php" "$work/end.php"
echo "// edited after install" >>"$site/api/streams/end.php"
rc=0
bash "$install" --uninstall "$site" 2>"$work/refusal2.txt" || rc=$?
cat "$work/refusal2.txt"
[[ $rc -ne 0 ]] || fail "uninstall overwrote an edited file"
grep -q 'api/streams/end.php was changed after the kit installed it' "$work/refusal2.txt" || fail "the refusal does not name the file"
cp -p "$work/end.php" "$site/api/streams/end.php"
bash "$install" --uninstall "$site" >/dev/null
diff -r "$orig" "$site" || fail "the site differs from the original after the second --uninstall"
echo "PASS: install, idempotent install, refusals, and a byte-identical uninstall"
