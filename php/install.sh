#!/usr/bin/env bash
# Installs the engagementd integration kit into the PHP site at SITE_DIR, so
# that the site's pages read the display numbers engagementd writes and
# nothing on the site writes them or generates fake rows.
#
#   bash php/install.sh SITE_DIR               install (again: nothing to do)
#   bash php/install.sh --uninstall SITE_DIR   put the site back as it was
#   bash php/install.sh --check SITE_DIR       say what install would do; change nothing
#   bash php/install.sh --verify-url URL SITE_DIR
#                      whether the PHP serving URL (a kit endpoint, e.g.
#                      https://SITE/api/live/viewers.php?action=count&stream_id=0)
#                      runs the kit files now in SITE_DIR (or, uninstalled, none)
#   bash php/install.sh --kit-id               the kit's version, as its responses send it
#
# Options: --state-dir DIR  where the kit keeps its list of installed files
#          and the site's originals (default /var/lib/engagementd-kit as root,
#          else ${XDG_STATE_HOME:-~/.local/state}/engagementd-kit); never
#          under the site. --uninstall: --stop-daemon[=COMMAND] stops a
#          running engagementd first (default: systemctl stop engagementd);
#          --skip-db-check removes the kit without looking at the database.
#
# What it changes is listed in php/MANIFEST: site files replaced by the
# kit's own (php/site/...), lines inserted after an anchor line
# (php/patches/...), and files added. Every file it changes must be the
# version the kit knows (its sha256 is in the manifest); if one is not, it
# changes nothing and says which. All new files are written beside their
# targets first and then renamed into place in one step. --uninstall
# restores the originals byte for byte (and refuses if a file the kit
# installed was edited since), and refuses while an engagementd instance
# holds a fresh lease on the site's database.
set -euo pipefail
umask 077

kit=$(cd "$(dirname "$0")" && pwd)
manifest=$kit/MANIFEST
prog="install.sh"

usage() {
  echo "usage: bash php/install.sh [--check|--uninstall [--stop-daemon[=COMMAND]] [--skip-db-check]]" \
       "[--state-dir DIR] SITE_DIR" >&2
  echo "       bash php/install.sh --verify-url URL [--state-dir DIR] SITE_DIR" >&2
  echo "       bash php/install.sh --kit-id" >&2
  exit 2
}
die() { echo "$prog: $*" >&2; exit 1; }

sha() { sha256sum "$1" | cut -d' ' -f1; }

# The kit's version: a hash of every kit file (engagementd.php without the
# line that carries the version itself). engagementd.php must carry it.
kit_id() {
  local f
  {
    awk '{ print }' "$manifest"
    for f in $(cd "$kit" && find site patches -type f | LC_ALL=C sort); do
      echo "$f"
      if [[ $f == site/includes/engagementd.php ]]; then
        grep -v "^define('ENGAGEMENTD_KIT_VERSION'" "$kit/$f"
      else
        cat "$kit/$f"
      fi
    done
  } | sha256sum | cut -c1-16
}
# The version a (kit or installed) engagementd.php carries.
file_kit_id() {
  sed -n "s/^define('ENGAGEMENTD_KIT_VERSION', '\([0-9a-zA-Z._-]*\)');.*/\1/p" "$1" | head -n1
}

mode=install
state_root=${ENGAGEMENTD_KIT_STATE:-}
stop_daemon=""
skip_db=0
verify_url=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --uninstall) mode=uninstall; shift ;;
    --check) mode=check; shift ;;
    --kit-id) echo "$(kit_id)"; exit 0 ;;
    --verify-url) mode=verify; verify_url=${2:-}; [[ -n $verify_url ]] || usage; shift 2 ;;
    --state-dir) state_root=${2:-}; [[ -n $state_root ]] || usage; shift 2 ;;
    --stop-daemon) stop_daemon="systemctl stop engagementd"; shift ;;
    --stop-daemon=*) stop_daemon=${1#--stop-daemon=}; [[ -n $stop_daemon ]] || usage; shift ;;
    --skip-db-check) skip_db=1; shift ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) usage ;;
    *) break ;;
  esac
done
[[ $# -eq 1 ]] || usage
[[ $mode == uninstall || ( -z $stop_daemon && $skip_db -eq 0 ) ]] || usage
[[ -d $1 ]] || { echo "$prog: $1: no such directory" >&2; exit 2; }
site=$(cd "$1" && pwd -P)

if [[ ! -f $site/includes/init.php ]]; then
  echo "$prog: $site does not look like the site (no includes/init.php)" >&2
  exit 2
fi

# --- The kit's state: outside the site, in a directory only its owner can write.

me=$(id -u)
if [[ -z $state_root ]]; then
  if [[ $me -eq 0 ]]; then
    state_root=/var/lib/engagementd-kit
  else
    state_root=${XDG_STATE_HOME:-$HOME/.local/state}/engagementd-kit
  fi
fi
[[ $state_root == /* ]] || state_root=$PWD/$state_root

# Every existing directory from / down to DIR: not a symlink below the
# deepest one resolved, owned by root or the caller, and not writable by
# group or others, so nobody else can put anything where the kit writes.
check_dir_chain() {
  local dir=$1 path="" part owner perm
  local -a parts
  IFS=/ read -r -a parts <<<"${dir#/}"
  for part in "${parts[@]}"; do
    [[ -z $part ]] && continue
    path=$path/$part
    [[ -e $path || -L $path ]] || break
    if [[ -L $path ]]; then
      die "$path is a symlink; the kit writes only into real directories (nothing was changed)"
    fi
    [[ -d $path ]] || die "$path is not a directory (nothing was changed)"
    owner=$(stat -c %u "$path")
    perm=$(stat -c %a "$path")
    if [[ $owner -ne 0 && $owner -ne $me ]]; then
      die "$path belongs to uid $owner; the kit's state must be in directories only root$( [[ $me -ne 0 ]] && echo " or uid $me") can write (nothing was changed)"
    fi
    if (( (8#$perm & 8#022) != 0 )); then
      die "$path is writable by group or others (mode $perm); the kit's state must be in directories only their owner can write (nothing was changed)"
    fi
  done
}

# The deepest existing ancestor resolved (a symlinked /home or /var is
# fine), the rest must not exist or be real directories.
state_base=$state_root
while [[ ! -e $state_base && $state_base != / ]]; do state_base=$(dirname "$state_base"); done
state_root=$(cd "$state_base" && pwd -P)${state_root#"$state_base"}
case $state_root/ in
  "$site"/*) die "the state directory $state_root is under the site ($site); choose one outside it (--state-dir)" ;;
esac
check_dir_chain "$state_root"

site_key=$(printf '%s' "$site" | sha256sum | cut -c1-16)-$(basename "$site" | tr -c 'A-Za-z0-9._\n-' _)
state=$state_root/$site_key
backup=$state/backup
installed=$state/installed
legacy=$site/.engagementd-kit   # where kits before this one kept it

# Nothing in the state may be a symlink or another user's.
check_state_tree() {
  local dir=$1 bad
  [[ -e $dir || -L $dir ]] || return 0
  [[ ! -L $dir ]] || die "$dir is a symlink; refusing to use it (nothing was changed)"
  bad=$(find "$dir" -type l -print -quit)
  [[ -z $bad ]] || die "$bad in the kit's state is a symlink; refusing (nothing was changed). Inspect $dir."
  bad=$(find "$dir" \( ! -user "$me" -o \( -type d -perm /022 \) \) -print -quit)
  [[ -z $bad ]] || die "$bad in the kit's state is another user's or writable by others; refusing (nothing was changed). Inspect $dir."
}
check_state_tree "$state"
check_state_tree "$legacy"

# Writes stdin to FILE atomically: a new file beside it, renamed over it.
write_atomic() {
  local file=$1 tmpf
  tmpf=$(mktemp "$(dirname "$file")/.tmp.XXXXXX")
  cat >"$tmpf"
  mv -f -T "$tmpf" "$file"
}

# A state of an older kit in the site: moved out of the document root.
adopt_legacy_state() {
  [[ -d $legacy ]] || return 0
  if [[ -e $state ]]; then
    die "the kit's state is both in $state and in $legacy (an older kit's); keep one and run again"
  fi
  mkdir -p "$state_root"
  chmod 700 "$state_root" 2>/dev/null || true
  cp -a "$legacy" "$state"
  rm -rf "$legacy"
  echo "moved the kit's state out of the site: $legacy -> $state"
}

# --- --verify-url: which kit the running PHP serves.

header_kit() {  # the X-Engagementd-Kit header URL answers with ('' for none)
  local headers
  if command -v curl >/dev/null 2>&1; then
    headers=$(curl -sS -m 10 -o /dev/null -D - "$1") || die "could not fetch $1"
  else
    headers=$(php -r '$h = @get_headers($argv[1]); if ($h === false) exit(1); echo implode("\n", $h);' "$1") \
      || die "could not fetch $1 (no curl; php's get_headers failed)"
  fi
  printf '%s\n' "$headers" | tr -d '\r' | sed -n 's/^[Xx]-[Ee]ngagementd-[Kk]it: *\([0-9a-zA-Z._-]*\).*/\1/p' | tail -n1
}

reload_hint() {
  echo "  PHP-FPM with OPcache keeps compiled files until it rechecks them"
  echo "  (opcache.revalidate_freq) or, with opcache.validate_timestamps=0, until a reload:"
  echo "  reload it now so that every worker serves the same files, e.g."
  local units=""
  if command -v systemctl >/dev/null 2>&1; then
    units=$(systemctl list-units --type=service --no-legend 'php*-fpm*' 2>/dev/null | awk '{ print $1 }' | tr '\n' ' ') || units=""
  fi
  if [[ -n $units ]]; then
    for u in $units; do echo "    systemctl reload $u"; done
  else
    echo "    systemctl reload php8.2-fpm    (your PHP-FPM service; Apache's mod_php: systemctl reload apache2)"
  fi
  echo "  then check: bash php/install.sh --verify-url 'URL/api/live/viewers.php?action=count&stream_id=0' $site"
}

if [[ $mode == verify ]]; then
  if [[ -f $installed || -f $legacy/installed ]]; then
    want=$(file_kit_id "$site/includes/engagementd.php")
    [[ -n $want ]] || die "$site/includes/engagementd.php carries no kit version"
  else
    want=""
  fi
  got=$(header_kit "$verify_url")
  if [[ $got == "$want" ]]; then
    if [[ -n $want ]]; then
      echo "The PHP at $verify_url serves the installed kit ($want)."
    else
      echo "The PHP at $verify_url serves no kit, as installed (none)."
    fi
    exit 0
  fi
  served="no kit" files="the site's own, without the kit"
  [[ -z $got ]] || served="the kit $got"
  [[ -z $want ]] || files="the kit $want"
  echo "$prog: the PHP at $verify_url serves $served, but the files in $site are $files." >&2
  reload_hint >&2
  exit 1
fi

# The manifest: "replace PATH SHA", "patch PATH SHA PATCHED_SHA", "add PATH".
entries=()
while read -r kind path orig patched; do
  [[ -z $kind || $kind == \#* ]] && continue
  entries+=("$kind|$path|${orig:-}|${patched:-}")
done <"$manifest"

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

# A path in the site the kit writes: neither it nor a directory between the
# site and it may be a symlink (a rename would replace the link, but a
# symlinked directory would take the file elsewhere).
check_site_path() {
  local rel=$1 path=$site part
  local -a parts
  IFS=/ read -r -a parts <<<"$rel"
  for part in "${parts[@]}"; do
    path=$path/$part
    if [[ -L $path ]]; then
      die "$path is a symlink; the kit replaces only real files in real directories (nothing was changed)"
    fi
  done
}

# The staged files and the renames that put them in place, all at once: one
# process, one rename(2) after another (a missing NEW deletes TARGET).
swap_in() {
  perl -e '
    my $failed = 0;
    while (@ARGV) {
      my ($new, $target) = splice(@ARGV, 0, 2);
      if ($new eq "") { unlink($target) or do { warn "unlink $target: $!\n"; $failed = 1 }; next }
      rename($new, $target) or do { warn "rename $new -> $target: $!\n"; $failed = 1 };
    }
    exit $failed;' "$@"
}
staged=()
cleanup_staged() {
  local i
  for ((i = 0; i < ${#staged[@]}; i += 2)); do
    [[ -n ${staged[i]} ]] && rm -f "${staged[i]}"
  done
  return 0
}
# Stages SOURCE for TARGET: owner and mode of REFERENCE (or 0644), and with
# "keep-time" its modification time too (an original put back as it was; a
# new file keeps its own time, which OPcache's check compares).
stage() {
  local source=$1 target=$2 reference=$3 time=${4:-} new
  (umask 022 && mkdir -p "$(dirname "$target")")
  new=$(mktemp "$(dirname "$target")/.engagementd-kit.XXXXXX")
  staged+=("$new" "$target")
  cat "$source" >"$new"
  if [[ -n $reference && -e $reference ]]; then
    chmod --reference="$reference" "$new"
    if [[ $me -eq 0 ]]; then chown --reference="$reference" "$new"; fi
    if [[ $time == keep-time ]]; then touch -r "$reference" "$new"; fi
  else
    chmod 644 "$new"
  fi
}

# --- Uninstall

# The site's database, from its .env: a client options file (mode 0600) in $tmp.
db_setup() {
  local env=$site/.env key value
  [[ -f $env ]] || return 1
  command -v mariadb >/dev/null 2>&1 || command -v mysql >/dev/null 2>&1 || return 1
  declare -gA dbenv=()
  while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Z_][A-Z0-9_]*)[[:space:]]*=(.*)$ ]] || continue
    key=${BASH_REMATCH[2]}
    value=${BASH_REMATCH[3]}
    value=${value#"${value%%[![:space:]]*}"}
    value=${value%"${value##*[![:space:]]}"}
    if [[ $value == \"*\" || $value == \'*\' ]]; then value=${value:1:${#value}-2}; fi
    dbenv[$key]=$value
  done <"$env"
  [[ -n ${dbenv[DB_NAME]:-} ]] || return 1
  {
    echo "[client]"
    echo "host=${dbenv[DB_HOST]:-localhost}"
    echo "port=${dbenv[DB_PORT]:-3306}"
    echo "user=${dbenv[DB_USER]:-}"
    value=${dbenv[DB_PASS]:-${dbenv[DB_PASSWORD]:-}}
    value=${value//\\/\\\\}
    echo "password=\"${value//\"/\\\"}\""
    echo "database=${dbenv[DB_NAME]}"
  } >"$tmp/client.cnf"
  chmod 600 "$tmp/client.cnf"
}
db() {
  local client=mariadb
  command -v mariadb >/dev/null 2>&1 || client=mysql
  "$client" --defaults-extra-file="$tmp/client.cnf" -N -B "$@"
}
db_has_column() {  # TABLE COLUMN
  [[ $(db -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
               AND TABLE_NAME = '$1' AND COLUMN_NAME = '$2'") -gt 0 ]]
}
# The instances holding a fresh lease, one line each ('' for none).
lease_holders() {
  db_has_column engagementd_leader expires_ms || return 0
  db -e "SELECT CONCAT('shard ', shard, ' held by ', holder, ', fresh for ',
                       ROUND((expires_ms - CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)) / 1000, 1), ' s')
           FROM engagementd_leader
          WHERE holder <> '' AND expires_ms > CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"
}
# The live streams that show simulated numbers get their real ones, counted
# as engagementd counts them (lib/store; the kit's engagementd_real_numbers):
# the site's own pages have no badge. Prints how many.
rewrite_to_real() {
  db_has_column live_streams includes_simulated || { echo 0; return 0; }
  local ttl=${dbenv[ENGAGEMENTD_REAL_VIEWER_TTL]:-60} fresh="" peak=0 viewers
  [[ $ttl =~ ^[0-9]{1,6}$ && $ttl -ge 1 ]] || ttl=60
  if db_has_column stream_viewers last_seen_at; then
    fresh=" AND COALESCE(sv.last_seen_at, sv.joined_at) >= NOW() - INTERVAL $ttl SECOND"
  fi
  if db_has_column engagementd_stream_state real_peak; then
    peak="COALESCE((SELECT st.real_peak FROM engagementd_stream_state st WHERE st.stream_id = ls.id), 0)"
  fi
  viewers="(SELECT COUNT(*) FROM stream_viewers sv WHERE sv.stream_id = ls.id AND sv.is_fake = 0
              AND sv.left_at IS NULL$fresh)"
  interactions() {
    echo "(SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = ls.id AND si.is_fake = 0
             AND si.interaction_type = '$1')"
  }
  db -e "UPDATE live_streams ls
            SET ls.max_viewers = GREATEST($viewers, $peak),
                ls.viewer_count = $viewers,
                ls.like_count = $(interactions like),
                ls.dislike_count = $(interactions dislike),
                ls.comment_count = $(interactions comment),
                ls.includes_simulated = 0,
                ls.updated_at = ls.updated_at
          WHERE ls.status = 'live' AND ls.includes_simulated = 1;
         SELECT ROW_COUNT()"
}

tmp=$(mktemp -d)
trap 'cleanup_staged; rm -rf "$tmp"' EXIT

recorded_sha() {  # the sha256 the kit installed at PATH, if it did
  [[ -f $installed ]] || return 0
  awk -v p="$1" '$1 == p { print $2 }' "$installed"
}

if [[ $mode == uninstall ]]; then
  if [[ ! -f $installed && ! -f $legacy/installed ]]; then
    echo "$prog: the kit is not installed in $site; nothing to do"
    exit 0
  fi
  list=$installed bdir=$backup
  if [[ ! -f $installed ]]; then list=$legacy/installed bdir=$legacy/backup; fi
  problems=0
  while read -r path want; do
    check_site_path "$path"
    current=""
    [[ -f $site/$path ]] && current=$(sha "$site/$path")
    if [[ -z $current ]]; then
      echo "$prog: $path is missing (the kit installed it); restoring the original anyway" >&2
    elif [[ $current != "$want" && ! ( -f $bdir/$path && $current == $(sha "$bdir/$path") ) ]]; then
      echo "$prog: $path was changed after the kit installed it; not touching anything." >&2
      echo "  The original is in $bdir/$path; compare and restore it by hand." >&2
      problems=1
    fi
  done <"$list"
  [[ $problems -eq 0 ]] || exit 1

  # The database: no engagementd may lead while the site's own endpoints
  # come back (both would write live_streams), and no live stream may keep
  # simulated numbers the site's pages show without the badge.
  if [[ $skip_db -eq 0 ]]; then
    db_setup || die "cannot read the site's database settings ($site/.env, DB_NAME) or no mariadb client:
  the kit cannot tell whether engagementd runs or live streams show simulated numbers.
  Stop engagementd, then run again with --skip-db-check (live streams keep their last numbers, shown without the badge)."
    holders=$(lease_holders) || die "cannot read the database (above)"
    if [[ -n $holders && -n $stop_daemon ]]; then
      echo "engagementd leads ($holders); stopping it: $stop_daemon"
      bash -c "$stop_daemon" || die "'$stop_daemon' failed; nothing was changed"
      for _ in $(seq 1 60); do
        holders=$(lease_holders)
        [[ -z $holders ]] && break
        sleep 1
      done
    fi
    if [[ -n $holders ]]; then
      echo "$prog: engagementd is running on this site's database:" >&2
      printf '  %s\n' "$holders" >&2
      echo "  Removing the kit now would leave it and the site's old generator both writing live_streams." >&2
      echo "  Stop it first (systemctl stop engagementd; see README, 'Removing engagementd and the kit')," >&2
      echo "  or run with --stop-daemon[=COMMAND]. Nothing was changed." >&2
      exit 1
    fi
    rewritten=$(rewrite_to_real) || die "could not rewrite the live streams' numbers (above); nothing else was changed"
    echo "live streams rewritten to their real numbers (no badge without the kit): $rewritten"
  fi

  while read -r path want; do
    if [[ -f $bdir/$path ]]; then
      stage "$bdir/$path" "$site/$path" "$bdir/$path" keep-time
    else
      staged+=("" "$site/$path")
    fi
  done <"$list"
  swap_in "${staged[@]}" || die "some files could not be put back (above); the originals are in $bdir"
  staged=()
  while read -r path want; do echo "restored $path"; done <"$list"
  rm -rf "$state" "$legacy"
  echo "The engagementd kit is uninstalled from $site."
  reload_hint
  exit 0
fi

if [[ $mode == install ]]; then
  adopt_legacy_state
elif [[ -d $legacy && ! -e $state ]]; then
  backup=$legacy/backup installed=$legacy/installed   # --check changes nothing
fi

# Check every file first: either all changes are made or none.
plan=()
problems=0
for e in "${entries[@]}"; do
  IFS='|' read -r kind path orig patched <<<"$e"
  target=$site/$path
  check_site_path "$path"
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
  echo "The kit's state: $state"
  exit 0
fi
if [[ ${#plan[@]} -eq 0 ]]; then
  echo "The engagementd kit is already installed in $site; nothing to do."
  exit 0
fi

# The originals and the list of installed files first (the list already
# names the new versions: --uninstall accepts a file that is still the
# original), then every file renamed into place in one step.
mkdir -p "$state_root" "$state" "$backup"
chmod 700 "$state_root" "$state"
[[ -f $installed ]] || : | write_atomic "$installed"
list_new=$(cat "$installed")
for p in "${plan[@]}"; do
  IFS='|' read -r kind path new want <<<"$p"
  target=$site/$path
  if [[ $kind != add && ! -f $backup/$path ]]; then
    mkdir -p "$(dirname "$backup/$path")"
    cp -p "$target" "$backup/$path.new"
    mv -f -T "$backup/$path.new" "$backup/$path"
  fi
  list_new=$(printf '%s\n' "$list_new" | awk -v p="$path" 'NF && $1 != p'; echo "$path $want")
  stage "$new" "$target" "$( [[ $kind != add ]] && echo "$target")"
done
printf '%s\n' "$list_new" | write_atomic "$installed"
swap_in "${staged[@]}" || die "some files could not be put in place (above); run again, or --uninstall"
staged=()
for p in "${plan[@]}"; do IFS='|' read -r kind path _ _ <<<"$p"; echo "$kind $path"; done
echo "The engagementd kit $(kit_id) is installed in $site (originals kept in $state)."
reload_hint
echo "Next: engagementd doctor, engagementd migrate, then run the daemon (php/README.md)."
