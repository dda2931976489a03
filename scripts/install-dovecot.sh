#!/usr/bin/env bash
# Installs Dovecot's IMAP server (Debian package dovecot-imapd) for the
# mailbox/imap tests, which start their own Dovecot on loopback with a
# generated configuration (see mailbox/imap/imaptest). Nothing is enabled or
# started as a system service.
#
# Idempotent: does nothing when dovecot is already on the PATH (or in
# /usr/sbin). Needs apt-get, and root or sudo. Without CI=true a failed
# install is only a warning (the IMAP tests then skip); with CI=true it fails.
set -euo pipefail

if command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; then
	exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	fi
fi

install() {
	command -v apt-get >/dev/null 2>&1 || { echo "install-dovecot: apt-get not found" >&2; return 1; }
	$sudo apt-get update -qq
	# policy-rc.d may refuse to start the service; the package still installs.
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends dovecot-imapd
}

if ! install; then
	if [ "${CI:-}" = "true" ]; then
		echo "install-dovecot: could not install dovecot-imapd (CI requires the IMAP tests)" >&2
		exit 1
	fi
	echo "install-dovecot: could not install dovecot-imapd; the IMAP tests will skip" >&2
fi
