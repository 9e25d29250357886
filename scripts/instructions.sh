#!/usr/bin/env bash
# Instructions per operation of each hot path, under valgrind's callgrind: every path
# runs twice (N and 2N operations) and the difference of the two totals is divided by
# N, so set-up and start-up cancel out. Stable on a noisy machine, where wall-clock
# benchmarks are not. Usage: bash scripts/instructions.sh [N]   (default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20000}"
command -v valgrind >/dev/null || { echo "instructions: valgrind is not installed"; exit 1; }
bin=$(cargo bench --bench instructions --no-run --message-format=json 2>/dev/null \
  | sed -n 's/.*"executable":"\([^"]*instructions[^"]*\)".*/\1/p' | tail -1)
[ -x "$bin" ] || { echo "instructions: could not build the harness"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
total() { # path ops -> total instructions
  valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$bin" "$1" "$2" >/dev/null 2>&1
  sed -n 's/^summary: //p; s/^totals: //p' "$tmp/out" | head -1 | awk '{print $1}'
}
printf '%-16s %14s\n' path instr/op
for path in xadd xadd_trait xadd_backend xadd_aof xadd5 xrange xreadgroup_ack xpending100 xautoclaim100; do
  ops=$n
  case $path in xpending100|xautoclaim100) ops=$((n / 100));; esac
  a=$(total "$path" "$ops")
  b=$(total "$path" $((2 * ops)))
  printf '%-16s %14s\n' "$path" "$(( (b - a) / ops ))"
done
