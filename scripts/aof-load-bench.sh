#!/usr/bin/env bash
# The durability figures side by side with redis-server (Redis 7+, multi-part AOF):
#
# 1. Load time of an N-entry append-only directory: brook's
#    `Engine::builder().open(dir, EverySec)` (tools/aof-load) against redis-server
#    (appendonly yes, aof-use-rdb-preamble no, --dir the parent of appendonlydir)
#    starting on the same directory. Directories, all one stream `s` of `XADD s * f v`
#    from one writer (no automatic rewrites anywhere):
#      redis-incr       redis-server fed by redis-benchmark (-c 1 -P 1000): an empty
#                       base and one incremental file of `XADD s <id> f v`
#      redis-rewritten  the same after BGREWRITEAOF (a base of Redis's rewrite)
#      brook-incr       brook appending N × engine.xadd (one thread, everysec)
#      brook-rewritten  the same after Engine::rewrite_aof
#    Per load: wall seconds (brook: around open(); redis: its log's "DB loaded from
#    append only file: X seconds") and the main thread's CPU seconds
#    (/proc/<pid>/schedstat; both replay on it) — on a shared machine CPU is the
#    steadier figure. Ratios are brook / redis (≤ 1: brook loads at least as fast).
# 2. Disk bytes per entry after a rewrite: SIZE_N entries of `XADD s * f v` and a
#    consumer group `g` with PENDING entries delivered to `c` and not acknowledged,
#    written by redis-server and rewritten by its BGREWRITEAOF; the same directory
#    opened by brook and rewritten by Engine::rewrite_aof. Base file bytes / entry.
#
# Usage:  bash scripts/aof-load-bench.sh
#   N=10000000        entries of the load test (default 10_000_000)
#   ROUNDS=1          loads of each directory by each loader, alternating
#   DIRS="redis-incr redis-rewritten brook-incr brook-rewritten"   which to load
#   SIZE_N=1000000    entries of the size test (0: skip it); PENDING=1000
#   BENCH_DIR=/tmp    where the directories go (about 60 bytes × N per directory:
#                     2.4 GB at 10M; measure on the disk you care about); kept
#                     there with KEEP=1
#   REDIS=path        redis-server (default: BROOK_REDIS8_SERVER, else
#                     ~/.cache/brook/redis-8.6.3/redis-server from
#                     scripts/build-redis-oracle.sh, else redis-server on PATH)
# A full run at the default N takes about 5 minutes on a quiet 2-core machine (Redis
# loads 10M entries in 15 s there, brook in 5 s), 10 or more on a busy one.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${N:-10000000}"
rounds="${ROUNDS:-1}"
dirs="${DIRS:-redis-incr redis-rewritten brook-incr brook-rewritten}"
size_n="${SIZE_N:-1000000}"
pending="${PENDING:-1000}"
redis="${REDIS:-${BROOK_REDIS8_SERVER:-$HOME/.cache/brook/redis-8.6.3/redis-server}}"
[ -x "$redis" ] || redis=$(command -v redis-server || true)
[ -x "$redis" ] || { echo "aof-load-bench: no redis-server (set REDIS)"; exit 1; }
for tool in redis-cli redis-benchmark python3 bc; do
  command -v "$tool" >/dev/null || { echo "aof-load-bench: $tool is not installed"; exit 1; }
done
cargo build --release -q --manifest-path tools/aof-load/Cargo.toml
brook="${CARGO_TARGET_DIR:-tools/aof-load/target}/release/aof-load"
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/aof-load-bench.XXXXXX")
rpid=""
cleanup() {
  [ -n "$rpid" ] && kill "$rpid" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "directories kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cli() { redis-cli -p "$port" "$@"; }

# redis_start PARENT: redis-server on PARENT/appendonlydir, returns once it answers
# PING (not LOADING).
redis_start() {
  : >"$work/redis.log"
  "$redis" --port "$port" --save "" --appendonly yes --aof-use-rdb-preamble no \
    --auto-aof-rewrite-percentage 0 --appendfsync everysec --dir "$1" \
    --logfile "$work/redis.log" &
  rpid=$!
  until [ "$(cli PING 2>/dev/null)" = PONG ]; do
    kill -0 "$rpid" 2>/dev/null || { cat "$work/redis.log"; exit 1; }
    sleep 0.05
  done
}
redis_stop() { cli SHUTDOWN NOSAVE >/dev/null 2>&1 || true; wait "$rpid" 2>/dev/null || true; rpid=""; }
# Waits for a BGREWRITEAOF to finish.
redis_rewritten() {
  cli BGREWRITEAOF >/dev/null
  while cli INFO persistence | tr -d '\r' | grep -Eq '^aof_rewrite_(in_progress|scheduled):1'; do
    sleep 0.1
  done
}
# redis_feed COUNT: COUNT × `XADD s * f v` from one client, pipelined.
redis_feed() {
  redis-benchmark -p "$port" -n "$1" -c 1 -P 1000 -q XADD s '*' f v | tr '\r' '\n' | tail -1 >/dev/null
}
bytes() { stat -c %s "$1"; }
base_of() { # appendonlydir -> its base file
  echo "$1/$(sed -n 's/^file \([^ ]*\) .*type b.*/\1/p' "$1/appendonly.aof.manifest")"
}

# redis_load PARENT -> "wall cpu entries"
redis_load() {
  redis_start "$1"
  local cpu wall entries
  cpu=$(awk '{printf "%.3f", $1 / 1e9}' "/proc/$rpid/schedstat")
  entries=$(cli XLEN s)
  wall=$(sed -n 's/.*DB loaded from append only file: \([0-9.]*\) seconds.*/\1/p' "$work/redis.log" | tail -1)
  redis_stop
  echo "${wall:-0} $cpu $entries"
}
# brook_load APPENDONLYDIR -> "wall cpu entries"
brook_load() {
  local wall cpu commands entries read
  read -r wall cpu commands entries read <<<"$("$brook" open "$1")"
  echo "$wall $cpu $entries"
}

echo "redis-server $("$redis" --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), brook $(git rev-parse --short HEAD), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$n" -gt 0 ]; then
  echo "== 1. loading $n entries of XADD s * f v"
  for d in $dirs; do
    mkdir -p "$work/$d"
    case $d in
      redis-incr | redis-rewritten)
        if [ ! -d "$work/redis-incr/appendonlydir" ]; then
          redis_start "$work/redis-incr"
          redis_feed "$n"
          redis_stop
        fi
        if [ "$d" = redis-rewritten ]; then
          cp -r "$work/redis-incr/appendonlydir" "$work/$d/"
          redis_start "$work/$d"
          redis_rewritten
          redis_stop
        fi
        ;;
      brook-incr | brook-rewritten)
        [ -d "$work/brook-incr/appendonlydir" ] || "$brook" write "$work/brook-incr/appendonlydir" "$n"
        if [ "$d" = brook-rewritten ]; then
          cp -r "$work/brook-incr/appendonlydir" "$work/$d/"
          "$brook" rewrite "$work/$d/appendonlydir" >/dev/null
        fi
        ;;
      *) echo "unknown directory $d"; exit 1 ;;
    esac
  done
  printf '%-16s %5s %10s %8s %9s %8s %9s %7s %7s\n' directory round MB "brook s" "brook cpu" "redis s" "redis cpu" "wall ×" "cpu ×"
  for d in $dirs; do
    mb=$(du -sm "$work/$d/appendonlydir" | cut -f1)
    for r in $(seq "$rounds"); do
      read -r bw bc be <<<"$(brook_load "$work/$d/appendonlydir")"
      read -r rw rc re <<<"$(redis_load "$work/$d")"
      [ "$be" = "$n" ] && [ "$re" = "$n" ] || { echo "$d: brook loaded $be entries, redis $re (want $n)"; exit 1; }
      printf '%-16s %5s %10s %8.2f %9.2f %8.2f %9.2f %7.2f %7.2f\n' "$d" "$r" "$mb" "$bw" "$bc" "$rw" "$rc" \
        "$(echo "$bw / $rw" | bc -l)" "$(echo "$bc / $rc" | bc -l)"
    done
  done
  echo "(× = brook / redis: below 1 means brook loads faster)"
fi

if [ "$size_n" -gt 0 ]; then
  echo "== 2. base file after a rewrite: $size_n entries of XADD s * f v, group g with $pending pending"
  mkdir -p "$work/size"
  redis_start "$work/size"
  redis_feed "$size_n"
  cli XGROUP CREATE s g 0 >/dev/null
  cli XREADGROUP GROUP g c COUNT "$pending" STREAMS s '>' >/dev/null
  redis_rewritten
  redis_stop
  rbase=$(bytes "$(base_of "$work/size/appendonlydir")")
  cp -r "$work/size/appendonlydir" "$work/size-brook"
  read -r _ _ _ be _ <<<"$("$brook" open "$work/size-brook")"
  [ "$be" = "$size_n" ] || { echo "brook loaded $be entries (want $size_n)"; exit 1; }
  bbase=$("$brook" rewrite "$work/size-brook")
  printf '%-34s %12s %10s\n' "" "base bytes" bytes/entry
  printf '%-34s %12s %10.2f\n' "redis-server BGREWRITEAOF" "$rbase" "$(echo "$rbase / $size_n" | bc -l)"
  printf '%-34s %12s %10.2f\n' "brook rewrite_aof (same content)" "$bbase" "$(echo "$bbase / $size_n" | bc -l)"
  printf '%-34s %12s %10.2f\n' "brook / redis" "" "$(echo "$bbase / $rbase" | bc -l)"
fi
