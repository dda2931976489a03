#!/usr/bin/env bash
# Token broker benchmarks (docs/PERFORMANCE.md, "Token broker"):
#   1. cached-token throughput and latency: wrk on POST /broker/v1/token
#      (-t$THREADS -c$CONNS, then -t1 -c4 for latency);
#   2. proxy throughput, with a direct wrk run against the emulator beside it;
#   3. proxy overhead: sequential queries direct vs through the proxy (p50/p99);
#   4. login storm: 1,000 clients over 10 emulated minutes, broker vs naive.
# Everything listens on loopback. Prints the load average around each step.
#
#   bash bench/scripts/broker.sh          # from the repository root
#   DURATION=15s CONNS=32 THREADS=2 CLIENTS=1000 bash bench/scripts/broker.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ADDR=${ADDR:-127.0.0.1:8686}
EMU=${EMU:-127.0.0.1:8687}
DURATION=${DURATION:-15s}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
CLIENTS=${CLIENTS:-1000}
OUT=${OUT:-/tmp/warden-bench}
mkdir -p "$OUT"
go build -o "$OUT/brokerbench" ./bench/broker
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "== tree $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- broker || echo +uncommitted-broker-changes)"
"$OUT/brokerbench" -mode serve -addr "$ADDR" -emulator-addr "$EMU" -lifetime 5m >"$OUT/broker.json" 2>"$OUT/broker.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$OUT/broker.json" ] && break; sleep 0.1; done
field() { sed "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/" "$OUT/broker.json"; }
export BROKER_KEY=$(field key) BROKER_USER=$(field user)
tok=$(field accessToken); q=$(field query); user=$(field user)
echo "== token  load before: $(load)"
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/wrk/broker-token.lua "http://$ADDR"
echo "== token  load after: $(load)"
echo "== token latency (-t1 -c4)  load before: $(load)"
wrk -t1 -c4 -d"$DURATION" --latency -s bench/wrk/broker-token.lua "http://$ADDR"
echo "== token latency  load after: $(load)"
echo "== direct query  load before: $(load)"
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $tok" "http://$EMU/services/data/v62.0/query?q=$q"
echo "== proxy query  load before: $(load)"
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $BROKER_KEY" "http://$ADDR/broker/v1/proxy/${user/@/%40}/services/data/v62.0/query?q=$q"
echo "== proxy query  load after: $(load)"
kill $pid; wait $pid 2>/dev/null || true
echo "== overhead  load before: $(load)"
"$OUT/brokerbench" -mode overhead -n 3000
echo "== overhead  load after: $(load)"
echo "== storm  load before: $(load)"
"$OUT/brokerbench" -mode storm -clients "$CLIENTS" -emulated 10m -session 2m -speed 100
echo "== storm  load after: $(load)"
