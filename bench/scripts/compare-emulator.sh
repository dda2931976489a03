#!/usr/bin/env bash
# Compares the emulator's load figures of two builds in one run: for each
# scenario it runs BASE and NEW ROUNDS times each (alternating which goes
# first), restarting the
# emulator before every wrk run, so both see the same machine load. Prints
# one line per run and the NEW/BASE ratio of the medians.
#
#   BASE=/tmp/bench-base/emulatorserver NEW=/tmp/bench-new/emulatorserver \
#     bash bench/scripts/compare-emulator.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ADDR=${ADDR:-127.0.0.1:8585}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
SCENARIOS=${SCENARIOS:-query password refresh}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
Q='SELECT Id, Username, IsActive, Profile.Name FROM User WHERE IsActive = true LIMIT 20'
QE=$(printf %s "$Q" | sed 's/ /%20/g; s/,/%2C/g; s/=/%3D/g')
run() { # build scenario -> requests/s
  "$1" -addr "$ADDR" -orgs 1 -users 100 -lifetime 2m >"$OUT/emu.json" 2>"$OUT/emu.log" &
  local pid=$!
  for _ in $(seq 300); do [ -s "$OUT/emu.json" ] && break; sleep 0.1; done
  local tok; tok=$(sed 's/.*"accessToken":"\([^"]*\)".*/\1/' "$OUT/emu.json")
  local args
  case $2 in
    query)    args=(-H "Authorization: Bearer $tok" "http://$ADDR/services/data/v62.0/query?q=$QE") ;;
    password) args=(-s bench/wrk/password.lua "http://$ADDR") ;;
    refresh)  args=(-s bench/wrk/refresh.lua "http://$ADDR") ;;
  esac
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "${args[@]}" | awk '/Requests\/sec/ {print int($2)}'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for sc in $SCENARIOS; do
  : >"$OUT/base"; : >"$OUT/new"
  for r in $(seq "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then # alternate which build goes first
      b=$(run "$BASE" "$sc"); n=$(run "$NEW" "$sc")
    else
      n=$(run "$NEW" "$sc"); b=$(run "$BASE" "$sc")
    fi
    echo "$b" >>"$OUT/base"; echo "$n" >>"$OUT/new"
    echo "$sc round $r: base $b req/s, new $n req/s (load $(cut -d' ' -f1 /proc/loadavg))"
  done
  mb=$(median <"$OUT/base"); mn=$(median <"$OUT/new")
  echo "$sc median: base $mb, new $mn, new/base $(awk -v n="$mn" -v b="$mb" 'BEGIN {printf "%.2f", n/b}')"
done
