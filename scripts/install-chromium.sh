#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium (package chromium) for the
# dashboard's browser tests (cmd/warden/browser_test.go), which drive it
# with chromedp. Nothing is started here.
#
# Idempotent: does nothing when chromium is already on the PATH. Needs
# apt-get, and root or sudo. Without CI=true a failed install is only a
# warning (the browser tests then skip); with CI=true it fails.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
	exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	fi
fi

install() {
	command -v apt-get >/dev/null 2>&1 || { echo "install-chromium: apt-get not found" >&2; return 1; }
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium
}

if ! install; then
	if [ "${CI:-}" = "true" ]; then
		echo "install-chromium: installing chromium failed" >&2
		exit 1
	fi
	echo "install-chromium: chromium is not installed; the browser tests will skip" >&2
fi
