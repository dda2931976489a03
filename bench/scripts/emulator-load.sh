#!/usr/bin/env bash
# Emulator load test: runs bench/emulatorserver (100-user org) as its own
# process and drives it with wrk (-t2 -c32 -d15s) for a REST query, password
# grants and refresh grants. The emulator is restarted for every scenario so
# each starts from the seed's state. Prints the load average before and
# after each run. With PROFILE=1 it also saves a 10 s CPU profile of the
# emulator taken during each run to $OUT/<scenario>-<RUN>.pprof (RUN
# defaults to the UTC time of day), next to the emulator binary.
#
#   bash bench/scripts/emulator-load.sh            # from the repository root
#   DURATION=15s CONNS=32 THREADS=2 bash bench/scripts/emulator-load.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ADDR=${ADDR:-127.0.0.1:8585}
PPROF=${PPROF:-127.0.0.1:6060}
DURATION=${DURATION:-15s}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
OUT=${OUT:-/tmp/warden-bench}
SCENARIOS=${SCENARIOS:-query password refresh}
RUN=${RUN:-$(date -u +%H%M%S)}   # tags the profile files of this run
mkdir -p "$OUT"
go build -o "$OUT/emulatorserver" ./bench/emulatorserver
Q='SELECT Id, Username, IsActive, Profile.Name FROM User WHERE IsActive = true LIMIT 20'
QE=$(printf %s "$Q" | sed 's/ /%20/g; s/,/%2C/g; s/=/%3D/g')
for sc in $SCENARIOS; do
  "$OUT/emulatorserver" -addr "$ADDR" -orgs 1 -users 100 -pprof "$PPROF" -lifetime 2m >"$OUT/emu.json" 2>"$OUT/emu.log" &
  pid=$!
  for _ in $(seq 50); do [ -s "$OUT/emu.json" ] && break; sleep 0.1; done
  tok=$(sed 's/.*"accessToken":"\([^"]*\)".*/\1/' "$OUT/emu.json")
  case $sc in
    query)    args=(-H "Authorization: Bearer $tok" "http://$ADDR/services/data/v62.0/query?q=$QE") ;;
    password) args=(-s bench/wrk/password.lua "http://$ADDR") ;;
    refresh)  args=(-s bench/wrk/refresh.lua "http://$ADDR") ;;
  esac
  echo "== $sc  tree $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- emulator || echo +uncommitted-emulator-changes)"
  echo "== $sc  load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "${PROFILE:-0}" = 1 ]; then
    (sleep 2; curl -s -o "$OUT/$sc-$RUN.pprof" "http://$PPROF/debug/pprof/profile?seconds=10") &
  fi
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "${args[@]}"
  wait_profile=$(jobs -p | grep -v "^$pid$" || true)
  [ -n "$wait_profile" ] && wait $wait_profile || true
  echo "== $sc  load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "== $sc  emulator usage: $(curl -s "http://$ADDR/_emulator/orgs/bench-org-0000/usage" | head -c 120)"
  echo "== $sc  emulator RSS: $(grep VmHWM /proc/$pid/status)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
