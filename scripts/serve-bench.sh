#!/usr/bin/env bash
# redis-benchmark XADD against `brook serve` and redis-server side by side: each server
# pinned to core 0 with taskset, redis-benchmark to core 1, pipelining 1 and 64,
# servers alternating in one run. Prints requests/s, each server's CPU time per request
# (from /proc/<pid>/stat), and brook's ratios to redis-server. On a 2-core machine the
# single-threaded redis-benchmark saturates its core at P1, so there the throughput of
# both servers is the client's; the CPU per request tells the servers apart.
#   bash scripts/serve-bench.sh            # 3 rounds of 200k requests each
#   ROUNDS=5 REQUESTS=500000 bash scripts/serve-bench.sh
#   AOF=everysec bash scripts/serve-bench.sh   # both durable: appendonly yes,
#                                              # appendfsync AOF (always|everysec|no)
#   REDIS=/path/to/redis-server bash scripts/serve-bench.sh   # another redis-server
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${ROUNDS:-3}"
requests="${REQUESTS:-200000}"
clients="${CLIENTS:-50}"
redis="${REDIS:-redis-server}"
aof="${AOF:-}"
for tool in "$redis" redis-benchmark taskset; do
  command -v "$tool" >/dev/null || { echo "serve-bench: $tool is not installed"; exit 1; }
done
cargo build --release -q -p brook-cli
brook=target/release/brook
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 100); do redis-cli -p "$1" PING >/dev/null 2>&1 && return; sleep 0.05; done; echo "no server on $1"; exit 1; }
dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
bport=$(free_port); rport=$(free_port)
if [ -n "$aof" ]; then
  mkdir -p "$dir/b" "$dir/r"
  baof=(--appendonly yes --dir "$dir/b" --appendfsync "$aof")
  raof=(--appendonly yes --appendfsync "$aof" --aof-use-rdb-preamble no --dir "$dir/r")
else
  baof=()
  raof=(--appendonly no --dir "$dir")
fi
taskset -c 0 "$brook" serve --port "$bport" "${baof[@]}" >"$dir/brook.log" 2>&1 & pids+=($!)
taskset -c 0 "$redis" --port "$rport" --save "" "${raof[@]}" >"$dir/redis.log" 2>&1 & pids+=($!)
wait_up "$bport"; wait_up "$rport"
echo "appendonly: ${aof:-no}"
echo "redis-server $("$redis" --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $requests requests × $rounds rounds, $clients clients, XADD bench * f v"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
run() { # port pid pipeline -> "req/s µs-per-request"
  redis-cli -p "$1" DEL bench >/dev/null
  local before after rps
  before=$(ticks "$2")
  rps=$(taskset -c 1 redis-benchmark -p "$1" -n "$requests" -c "$clients" -P "$3" -q XADD bench '*' f v \
    | tr '\r' '\n' | sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -1)
  after=$(ticks "$2")
  echo "$rps $(echo "($after - $before) * 1000000 / $hz / $requests" | bc -l)"
}
bpid=${pids[0]}; rpid=${pids[1]}
printf '%-4s %-5s %12s %12s %6s %12s %12s %6s\n' P round "brook req/s" "redis req/s" ratio "brook µs/req" "redis µs/req" "ratio"
for p in 1 64; do
  for r in $(seq "$rounds"); do
    read -r b bc <<<"$(run "$bport" "$bpid" "$p")"
    read -r x xc <<<"$(run "$rport" "$rpid" "$p")"
    printf '%-4s %-5s %12.0f %12.0f %6.2f %12.2f %12.2f %6.2f\n' "P$p" "$r" "$b" "$x" \
      "$(echo "$b / $x" | bc -l)" "$bc" "$xc" "$(echo "$xc / $bc" | bc -l)"
  done
done
echo "(the CPU ratio is redis's CPU per request over brook's: above 1 means brook needs less)"
