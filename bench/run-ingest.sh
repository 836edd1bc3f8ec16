#!/usr/bin/env bash
# Ingest comparison: the same load generator against `calwatch listen` and
# the two Node baselines in bench/node (server.js: raw body, FULL, four
# upserts; tutorial.js: express.json(), HMAC over JSON.stringify, one
# INSERT), each listener on core 0, the load generator on core 1 (taskset).
# Prints one line per run. SHAPE=padded sends the first benchmark's traffic
# instead of the realistic mix.
#
#   bench/run-ingest.sh [runs] [deliveries]     (from the repository root;
#   the baselines need `npm install` in bench/node first)
set -euo pipefail
runs=${1:-3}
n=${2:-20000}
shape=${SHAPE:-realistic}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export CALWATCH_SIGNING_KEY=bench-signing-key
go build -o "$work/calwatch" ./cmd/calwatch
go build -o "$work/loadgen" ./tunnel/listener/loadgen/cmd/loadgen
pin0=() pin1=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then pin0=(taskset -c 0) pin1=(taskset -c 1); fi

wait_port() { for _ in $(seq 1 200); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

one_run() { # name conns run
  local name=$1 conns=$2 run=$3 dir="$work/$1-$2-$3" pid port=8799
  mkdir -p "$dir"
  if [ "$name" = calwatch ]; then
    "${pin0[@]}" "$work/calwatch" listen --no-tunnel --rate-limit 0 --addr 127.0.0.1:$port --home "$dir" 2>"$dir/log" &
  else
    PORT=$port DB="$dir/node.db" "${pin0[@]}" node "bench/node/$name.js" 2>"$dir/log" &
  fi
  pid=$!
  wait_port $port
  "${pin1[@]}" "$work/loadgen" -url http://127.0.0.1:$port/webhooks/calendly -conns "$conns" -n $((conns * 4)) -shape "$shape" >/dev/null # warm up
  "${pin1[@]}" "$work/loadgen" -url http://127.0.0.1:$port/webhooks/calendly -conns "$conns" -n "$n" -shape "$shape" -json >"$dir/result.json"
  kill -INT $pid; wait $pid || true
  local stored
  if [ "$name" = calwatch ]; then
    stored=$(CALWATCH_HOME="$dir" "$work/calwatch" deliveries list --limit 0 --json 2>/dev/null | grep -c '"outcome": "applied"' || true)
  else
    stored=$(node bench/node/count.js "$dir/node.db")
  fi
  python3 - "$name" "$conns" "$run" "$stored" "$dir/result.json" <<'PY'
import json, sys
name, conns, run, stored, path = sys.argv[1:]
r = json.load(open(path))
refused = r['sent'] - r['ok']
print(f"{name:9} conns={conns:>2} run={run} {r['deliveries_per_second']:7.0f}/s p50 {r['p50_ms']:6.2f} ms p99 {r['p99_ms']:7.2f} ms ok {r['ok']} non-2xx {refused} stored (incl. warm-up) {stored}")
PY
}

for conns in 16 64; do
  for run in $(seq 1 "$runs"); do
    one_run calwatch "$conns" "$run"
    if [ -d bench/node/node_modules ]; then
      one_run server "$conns" "$run"
      one_run tutorial "$conns" "$run"
    fi
  done
done
