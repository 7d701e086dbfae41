#!/usr/bin/env bash
# The layer order of lib/ (ARCHITECTURE.md), checked on every include:
#   core (0) <- store (1) <- tick (2) <- service (3) <- cli (4) <- daemon/ (5)
# A file may include headers of its own layer and of the layers below it.
# Fails naming file:line and both layers for every include that climbs, for
# an include of a folder with no rank, and for a SOCI or database client
# header included outside lib/store/ (the only layer that speaks SQL), be it
# directly or through a store header that includes one.
#   check_layers.sh [SOURCE_DIR]   (default: this repository)
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 2

declare -A rank=([core]=0 [store]=1 [tick]=2 [service]=3 [cli]=4 [daemon]=5)

# The layer of a source file: its folder under lib/, or daemon/.
layer_of_file() {
  case $1 in
    daemon/*) echo daemon ;;
    lib/*/*) local rest=${1#lib/}; echo "${rest%%/*}" ;;
    *) echo "" ;;
  esac
}

db_header='^[[:space:]]*#[[:space:]]*include[[:space:]]*<((soci|mysql|mariadb)/[^>]*|mysql\.h|sqlite3\.h)>'

# The store's headers that bring a database header with them, directly or
# through another store header: no other layer may include them.
declare -A brings_db=()
changed=1
while ((changed)); do
  changed=0
  for h in lib/store/*.hpp; do
    [[ -n ${brings_db[${h#lib/}]+set} ]] && continue
    if grep -Eq "$db_header" "$h"; then
      brings_db[${h#lib/}]=1 changed=1
      continue
    fi
    while IFS= read -r inc; do
      if [[ -n ${brings_db[$inc]+set} ]]; then
        brings_db[${h#lib/}]=1 changed=1
        break
      fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$h")
  done
done

rc=0
files=$(find lib daemon -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) | sort)
[[ -n $files ]] || { echo "check_layers: no source under $root/lib or $root/daemon" >&2; exit 2; }
checked=0
while IFS= read -r file; do
  from=$(layer_of_file "$file")
  if [[ -z $from || -z ${rank[$from]+set} ]]; then
    echo "$file: folder '$from' has no layer (give it a rank in ${BASH_SOURCE[0]##*/} and ARCHITECTURE.md)"
    rc=1
    continue
  fi
  while IFS=: read -r line text; do
    checked=$((checked + 1))
    if [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
      header=${BASH_REMATCH[1]}
      to=${header%%/*}
      if [[ $header != */* || -z ${rank[$to]+set} ]]; then
        echo "$file:$line: includes \"$header\", which is in no layer (name it from lib/: \"core/...\", \"store/...\")"
        rc=1
      elif ((rank[$to] > rank[$from])); then
        echo "$file:$line: $from (layer ${rank[$from]}) includes \"$header\" of $to (layer ${rank[$to]}), a layer above it"
        rc=1
      elif [[ $from != store && -n ${brings_db[$header]+set} ]]; then
        echo "$file:$line: $from includes \"$header\", which brings a database header: only lib/store/ speaks to the database"
        rc=1
      fi
    elif [[ $text =~ $db_header ]]; then
      if [[ $from != store ]]; then
        echo "$file:$line: $from includes <${BASH_REMATCH[1]}>: only lib/store/ speaks to the database"
        rc=1
      fi
    fi
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include' "$file")
done <<<"$files"

((checked > 0)) || { echo "check_layers: no include found" >&2; exit 2; }
if ((rc == 0)); then
  echo "check_layers: $checked includes in $(wc -l <<<"$files") files, none climbs a layer"
fi
exit "$rc"
