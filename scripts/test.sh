#!/usr/bin/env bash
# Runs every Warden test tier: vet, unit and end-to-end tests with the race
# detector, the real-client compatibility suite (jsforce and the Salesforce
# CLI from npm), and brief fuzz runs. It installs what it needs. With
# CI=true, tiers that need Node or PostgreSQL fail instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

# Count-based: time-based -fuzztime can end in "context deadline exceeded" on Go 1.26.
FUZZTIME=${FUZZTIME:-30000x}

echo "== go vet"
go vet ./...

echo "== real clients (npm)"
if [ -f scripts/install-node-clients.sh ]; then
  bash scripts/install-node-clients.sh
fi

bash scripts/install-dovecot.sh # mailbox/imap tests run a real Dovecot
bash scripts/install-chromium.sh # the dashboard browser tests drive headless Chromium
echo "== go test -race"
go test -race -count=1 ./...

echo "== fuzz (${FUZZTIME} each, every Fuzz target in the tree)"
targets=$(grep -rEo --include='*_test.go' --exclude-dir=node_modules --exclude-dir=vendor --exclude-dir=testdata \
  '^func Fuzz[A-Za-z0-9_]*' . | sort)
if [ -z "$targets" ]; then
  echo "no fuzz targets found" >&2
  exit 1
fi
while IFS= read -r entry; do
  file=${entry%%:*}
  name=${entry##*func }
  echo "-- ${name} ($(dirname "$file"))"
  go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "./$(dirname "${file#./}")"
done <<< "$targets"

echo "== all tests passed"
