#!/usr/bin/env bash
# Installs the engagementd integration kit into the PHP site at SITE_DIR, so
# that the site's pages read the display numbers engagementd writes and
# nothing on the site writes them or generates fake rows.
#
#   bash php/install.sh SITE_DIR               install (again: nothing to do)
#   bash php/install.sh --uninstall SITE_DIR   put the site back as it was
#   bash php/install.sh --check SITE_DIR       say what install would do; change nothing
#
# What it changes is listed in php/MANIFEST: site files replaced by the
# kit's own (php/site/...), lines inserted after an anchor line
# (php/patches/...), and files added. Every file it changes must be the
# version the kit knows (its sha256 is in the manifest); if one is not, it
# changes nothing and says which. The originals are kept under
# SITE_DIR/.engagementd-kit/, and --uninstall restores them byte for byte
# (and refuses if a file the kit installed was edited since).
set -euo pipefail

kit=$(cd "$(dirname "$0")" && pwd)
manifest=$kit/MANIFEST
prog="install.sh"

usage() {
  echo "usage: bash php/install.sh [--uninstall|--check] SITE_DIR" >&2
  exit 2
}

mode=install
case "${1:-}" in
  --uninstall) mode=uninstall; shift ;;
  --check) mode=check; shift ;;
  -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) usage ;;
esac
[[ $# -eq 1 ]] || usage
[[ -d $1 ]] || { echo "$prog: $1: no such directory" >&2; exit 2; }
site=$(cd "$1" && pwd)
state=$site/.engagementd-kit
backup=$state/backup
installed=$state/installed

if [[ ! -f $site/includes/init.php ]]; then
  echo "$prog: $site does not look like the site (no includes/init.php)" >&2
  exit 2
fi

sha() { sha256sum "$1" | cut -d' ' -f1; }

# Writes FILE with the lines of PATCH inserted after their anchors to stdout.
# A PATCH is '#' comment lines, then blocks: "@after ANCHOR" and the lines to
# insert after the line ANCHOR (compared without leading/trailing blanks; it
# must occur exactly once in FILE).
apply_patch() {
  local file=$1 patch=$2
  awk -v patchfile="$patch" '
    function trim(s) { sub(/^[ \t\r]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
    BEGIN {
      n = 0
      while ((getline line < patchfile) > 0) {
        if (line ~ /^@after /) { n++; anchor[n] = trim(substr(line, 8)); body[n] = ""; continue }
        if (n == 0) continue
        body[n] = body[n] line "\n"
      }
      close(patchfile)
    }
    {
      print
      t = trim($0)
      for (i = 1; i <= n; i++) if (t == anchor[i]) { seen[i]++; printf "%s", body[i] }
    }
    END {
      for (i = 1; i <= n; i++) if (seen[i] != 1) {
        printf "anchor %d found %d times (needs exactly 1): %s\n", i, seen[i] + 0, anchor[i] > "/dev/stderr"
        exit 3
      }
    }' "$file" | if [[ -n $(tail -c1 "$file") ]]; then head -c -1; else cat; fi
}

# The manifest: "replace PATH SHA", "patch PATH SHA PATCHED_SHA", "add PATH".
entries=()
while read -r kind path orig patched; do
  [[ -z $kind || $kind == \#* ]] && continue
  entries+=("$kind|$path|${orig:-}|${patched:-}")
done <"$manifest"

recorded_sha() {  # the sha256 the kit installed at PATH, if it did
  [[ -f $installed ]] || return 0
  awk -v p="$1" '$1 == p { print $2 }' "$installed"
}

if [[ $mode == uninstall ]]; then
  if [[ ! -f $installed ]]; then
    echo "$prog: the kit is not installed in $site; nothing to do"
    exit 0
  fi
  problems=0
  while read -r path want; do
    if [[ ! -f $site/$path ]]; then
      echo "$prog: $path is missing (the kit installed it); restoring the original anyway" >&2
    elif [[ $(sha "$site/$path") != "$want" ]]; then
      echo "$prog: $path was changed after the kit installed it; not touching anything." >&2
      echo "  The original is in $backup/$path; compare and restore it by hand." >&2
      problems=1
    fi
  done <"$installed"
  [[ $problems -eq 0 ]] || exit 1
  while read -r path want; do
    if [[ -f $backup/$path ]]; then
      cp -p "$backup/$path" "$site/$path"
    else
      rm -f "$site/$path"
    fi
    echo "restored $path"
  done <"$installed"
  rm -rf "$state"
  echo "The engagementd kit is uninstalled from $site."
  exit 0
fi

# Check every file first: either all changes are made or none.
plan=()
problems=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for e in "${entries[@]}"; do
  IFS='|' read -r kind path orig patched <<<"$e"
  target=$site/$path
  case $kind in
    replace) new=$kit/site/$path; want=$(sha "$new") ;;
    add) new=$kit/site/$path; want=$(sha "$new") ;;
    patch)
      new=$tmp/$(echo "$path" | tr / _)
      if [[ -f $backup/$path ]]; then base=$backup/$path; else base=$target; fi
      if [[ -f $base && $(sha "$base") == "$orig" ]]; then
        apply_patch "$base" "$kit/patches/$path.ins" >"$new"
        want=$(sha "$new")
        if [[ $want != "$patched" ]]; then
          echo "$prog: internal error: $path patched to $want, the manifest says $patched" >&2
          exit 1
        fi
      else
        want=$patched
      fi
      ;;
    *) echo "$prog: bad manifest line: $kind $path" >&2; exit 1 ;;
  esac
  current=""
  [[ -f $target ]] && current=$(sha "$target")
  before=$(recorded_sha "$path")
  if [[ -n $current && $current == "$want" ]]; then
    continue  # already installed
  elif [[ $kind == add && -z $current ]]; then
    plan+=("$kind|$path|$new|$want")
  elif [[ $kind != add && -n $current && $current == "$orig" ]]; then
    plan+=("$kind|$path|$new|$want")
  elif [[ -n $before && $current == "$before" ]]; then
    plan+=("$kind|$path|$new|$want")  # installed by an older kit: upgrade it
  else
    problems=$((problems + 1))
    if [[ -z $current ]]; then
      echo "$prog: $path is missing; the kit expects the site's own version of it." >&2
    elif [[ $kind == add ]]; then
      echo "$prog: $path exists and is not the kit's; the kit would add its own there." >&2
    else
      echo "$prog: $path is not the version the kit knows (sha256 $current, expected $orig)." >&2
      echo "  The kit $([[ $kind == replace ]] && echo replaces it with php/site/$path || echo inserts lines into it, php/patches/$path.ins);" >&2
      echo "  merge that into your version by hand, or restore the known version and run again." >&2
    fi
  fi
done

if [[ $problems -gt 0 ]]; then
  echo "$prog: nothing was changed in $site." >&2
  exit 1
fi
if [[ $mode == check ]]; then
  if [[ ${#plan[@]} -eq 0 ]]; then echo "The kit is installed in $site; nothing to do."; fi
  for p in "${plan[@]}"; do IFS='|' read -r kind path _ _ <<<"$p"; echo "would $kind $path"; done
  exit 0
fi
if [[ ${#plan[@]} -eq 0 ]]; then
  echo "The engagementd kit is already installed in $site; nothing to do."
  exit 0
fi

mkdir -p "$backup"
touch "$installed"
for p in "${plan[@]}"; do
  IFS='|' read -r kind path new want <<<"$p"
  target=$site/$path
  if [[ $kind != add && ! -f $backup/$path ]]; then
    mkdir -p "$(dirname "$backup/$path")"
    cp -p "$target" "$backup/$path"
  fi
  mkdir -p "$(dirname "$target")"
  # Into the existing file, so its owner and mode stay the site's.
  cat "$new" >"$target"
  awk -v p="$path" '$1 != p' "$installed" >"$installed.new"
  echo "$path $want" >>"$installed.new"
  mv "$installed.new" "$installed"
  echo "$kind $path"
done
echo "The engagementd kit is installed in $site (originals kept in $state)."
echo "Next: engagementd doctor, engagementd migrate, then run the daemon (php/README.md)."
