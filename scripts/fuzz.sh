#!/usr/bin/env bash
# Builds the libFuzzer targets for the YAML config loader and the duration
# parser (clang, with AddressSanitizer and UndefinedBehaviorSanitizer) and
# runs each for a bounded time. A crash, hang, leak or sanitizer report fails
# the run and leaves the input that caused it in the output directory.
# Usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET] [OUTPUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
out=${2:-build/fuzz}
cxx=$(command -v clang++-14 || command -v clang++ || true)
if [[ -z $cxx ]]; then
  echo "fuzz.sh: clang++ not found; run: bash scripts/deps.sh --test" >&2
  exit 1
fi
mkdir -p "$out/corpus-config" "$out/corpus-duration"
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -Ilib)
"$cxx" "${flags[@]}" tests/faults/fuzz_config.cpp lib/service/config.cpp lib/core/database.cpp lib/core/duration.cpp lib/core/log.cpp \
  -lyaml-cpp -o "$out/fuzz_config"
"$cxx" "${flags[@]}" tests/faults/fuzz_duration.cpp lib/core/duration.cpp -o "$out/fuzz_duration"

# Seeds: the shipped config, and durations of every unit.
cp etc/engagementd.yaml "$out/corpus-config/shipped.yaml"
for d in 250ms 5s 2m 1h 0s 18446744073709551615ms; do
  printf '%s' "$d" >"$out/corpus-duration/$d"
done

run() {
  local target=$1 corpus=$2
  echo "fuzzing $target for ${seconds}s"
  (cd "$out" && "./$target" -max_total_time="$seconds" -timeout=10 -max_len=4096 \
    -rss_limit_mb=2048 -print_final_stats=1 "$corpus" 2>&1 | tail -n 12)
  return "${PIPESTATUS[0]}"
}
status=0
run fuzz_config corpus-config || status=1
run fuzz_duration corpus-duration || status=1
exit $status
