#!/usr/bin/env bash
# Scale test: bench/emulatorserver with ORGS orgs of USERS integration users
# in one process, bench/scale (Warden's monitor, SQLite store) in another;
# after every org has been swept once plus WARMUP, bench/procsample reads
# both processes' CPU share and memory over WINDOW.
#
#   bash bench/scripts/scale.sh              # 2,000 orgs x 10 users, 60 s interval, NoPush
#   PUSH=1 bash bench/scripts/scale.sh       # the same with change-event subscriptions
#   PUSH=1 MON_GOMEMLIMIT=200MiB bash bench/scripts/scale.sh   # the monitor under a soft memory limit
#   MON_PPROF=127.0.0.1:6061 bash bench/scripts/scale.sh   # also save a 60 s CPU profile and a heap profile of the monitor
set -euo pipefail
cd "$(dirname "$0")/../.."
ORGS=${ORGS:-2000}
USERS=${USERS:-10}
INTERVAL=${INTERVAL:-60s}
WARMUP=${WARMUP:-75}
WINDOW=${WINDOW:-180}
ADDR=${ADDR:-127.0.0.1:8586}
OUT=${OUT:-/tmp/warden-bench}
PUSH=${PUSH:-0}
RUN=${RUN:-$(date -u +%H%M%S)}   # tags this run's log and profile files
mkdir -p "$OUT"
go build -o "$OUT/emulatorserver" ./bench/emulatorserver
go build -o "$OUT/scale" ./bench/scale
go build -o "$OUT/procsample" ./bench/procsample
rm -f "$OUT/scale-key.pem" "$OUT/scale-emu.json"
pushflag=-nopush
[ "$PUSH" = 1 ] && pushflag=-nopush=false
"$OUT/emulatorserver" -addr "$ADDR" -orgs "$ORGS" -users "$USERS" -key "$OUT/scale-key.pem" -lifetime 15m \
  >"$OUT/scale-emu.json" 2>"$OUT/scale-emu.log" &
emu=$!
trap 'kill $emu 2>/dev/null || true' EXIT
for _ in $(seq 600); do [ -s "$OUT/scale-emu.json" ] && break; sleep 0.1; done
cat "$OUT/scale-emu.log"
echo "tree $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- emulator monitor salesforce sqlite || echo +uncommitted-changes); run $RUN"
total=$((WARMUP + WINDOW + 240))
# The push probe runs after the measurement window (ready takes < 60 s).
probe=0
[ "$PUSH" = 1 ] && probe=${PROBE:-10}
probe_after=$((WARMUP + WINDOW + 70))
env ${MON_GOMEMLIMIT:+GOMEMLIMIT=$MON_GOMEMLIMIT} "$OUT/scale" -url "http://$ADDR" -key "$OUT/scale-key.pem" -orgs "$ORGS" -users "$USERS" -interval "$INTERVAL" \
  -duration "${total}s" "$pushflag" -probe "$probe" -probe-after "${probe_after}s" ${MON_PPROF:+-pprof "$MON_PPROF"} >"$OUT/scale-$RUN.log" 2>&1 &
mon=$!
for i in $(seq 240); do
  grep -q '^ready' "$OUT/scale-$RUN.log" && break
  # A heap profile in the middle of the first sweeps (the memory peak).
  [ "$i" = 10 ] && [ -n "${MON_PPROF:-}" ] && curl -s -o "$OUT/scale-monitor-warmup-$RUN.heap" "http://$MON_PPROF/debug/pprof/heap"
  sleep 1
done
grep '^ready' "$OUT/scale-$RUN.log" || { echo "monitor not ready after 240 s"; cat "$OUT/scale-$RUN.log"; kill $mon; exit 1; }
sleep "$WARMUP"
echo "measuring monitor pid $mon and emulator pid $emu for ${WINDOW}s"
if [ -n "${MON_PPROF:-}" ]; then
  curl -s -o "$OUT/scale-monitor-$RUN.pprof" "http://$MON_PPROF/debug/pprof/profile?seconds=60" &
fi
"$OUT/procsample" -for "${WINDOW}s" "$mon" "$emu"
[ -n "${MON_PPROF:-}" ] && curl -s -o "$OUT/scale-monitor-$RUN.heap" "http://$MON_PPROF/debug/pprof/heap"
if [ "$probe" -gt 0 ]; then
  for _ in $(seq 180); do grep -q '^probe' "$OUT/scale-$RUN.log" && break; sleep 1; done
fi
kill -INT $mon 2>/dev/null || true
sleep 2; kill $mon 2>/dev/null || true
cat "$OUT/scale-$RUN.log"
