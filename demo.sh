#!/bin/sh
# demo.sh [stop] - on a Debian 12 or 13 machine (Dovecot 2.3 or 2.4), as
# root: install what is needed, build and install the plugin, start a
# throwaway slapd + dovecot on 127.0.0.1 (files in
# /tmp/functional-auth-demo) and show a functional-account login succeeding
# and an unauthorised one failing; then a private Postfix with the policy
# service, alice sending as info@ with her own login and bob refused.
# `./demo.sh stop` stops the servers and removes their files.
set -eu
cd "$(dirname "$0")"
if [ "${1:-}" = stop ]; then
	exec /usr/bin/python3 demo/demo.py stop
fi
./scripts/install-deps.sh
./scripts/build.sh
exec /usr/bin/python3 demo/demo.py start
