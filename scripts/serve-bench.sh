#!/usr/bin/env bash
# redis-benchmark XADD against `brook serve` and redis-server side by side: each server
# pinned to core 0 with taskset, redis-benchmark to core 1, pipelining 1 and 64,
# servers alternating in one run. Prints requests/s and brook's ratio to redis-server.
#   bash scripts/serve-bench.sh            # 3 rounds of 200k requests each
#   ROUNDS=5 REQUESTS=500000 bash scripts/serve-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${ROUNDS:-3}"
requests="${REQUESTS:-200000}"
clients="${CLIENTS:-50}"
for tool in redis-server redis-benchmark taskset; do
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
taskset -c 0 "$brook" serve --port "$bport" >"$dir/brook.log" 2>&1 & pids+=($!)
taskset -c 0 redis-server --port "$rport" --save "" --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 & pids+=($!)
wait_up "$bport"; wait_up "$rport"
echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $requests requests × $rounds rounds, $clients clients, XADD bench * f v"
rps() { # port pipeline
  redis-cli -p "$1" DEL bench >/dev/null
  taskset -c 1 redis-benchmark -p "$1" -n "$requests" -c "$clients" -P "$2" -q XADD bench '*' f v \
    | tr '\r' '\n' | sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -1
}
printf '%-9s %-5s %14s %14s %7s\n' pipeline round brook redis ratio
for p in 1 64; do
  for r in $(seq "$rounds"); do
    b=$(rps "$bport" "$p"); x=$(rps "$rport" "$p")
    printf '%-9s %-5s %14s %14s %7.2f\n' "P$p" "$r" "$b" "$x" "$(echo "$b / $x" | bc -l)"
  done
done
