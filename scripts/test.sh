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
echo "== go test -race"
go test -race -count=1 ./...

echo "== fuzz (${FUZZTIME} each)"
go test -run='^$' -fuzz='^FuzzParse$' -fuzztime="$FUZZTIME" ./emulator/soql
go test -run='^$' -fuzz='^FuzzParseSeed$' -fuzztime="$FUZZTIME" ./emulator
go test -run='^$' -fuzz='^FuzzParse$' -fuzztime="$FUZZTIME" ./config
go test -run='^$' -fuzz='^FuzzParseAuthURL$' -fuzztime="$FUZZTIME" ./inventory
go test -run='^$' -fuzz='^FuzzParseSFAuth$' -fuzztime="$FUZZTIME" ./inventory
go test -run='^$' -fuzz='^FuzzDecodeFile$' -fuzztime="$FUZZTIME" ./secret/local
go test -run='^$' -fuzz='^FuzzEscape$' -fuzztime="$FUZZTIME" ./secret/azurekv

echo "== all tests passed"
