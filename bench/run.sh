#!/bin/sh
# run.sh - the login-throughput benchmark in one command (as root):
#   1. installs the Debian packages (scripts/install-deps.sh),
#   2. builds and installs the module (scripts/build.sh),
#   3. compiles the raw-libldap ceiling (bench/raw-ldap.c), the login
#      load generator (bench/auth-load.c) and the SMTP load generator
#      (bench/smtp-load.c) into a temp dir,
#   4. runs bench/bench.py --scale10 --policy: prints the table (with the
#      policy-service row: functional-policy against Postfix's ldap:
#      sender-login map, bench/policy_bench.py) and writes it to
#      bench/last-results.txt; exits non-zero if any result was wrong.
# Other arguments go to bench.py (e.g. --seconds 2); --no-scale10 skips the
# 10x directory, --no-policy the policy-service row. About 16 minutes on 2
# cores. Works unchanged on Debian 12
# (Dovecot 2.3) and Debian 13 (Dovecot 2.4): bench.py writes the config for
# the installed Dovecot.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
build=$(mktemp -d /tmp/loginbench-build.XXXXXX)
trap 'rm -rf "$build"' EXIT
cc -O2 -Wall -o "$build/raw-ldap" bench/raw-ldap.c -lldap -llber
cc -O2 -Wall -o "$build/auth-load" bench/auth-load.c
cc -O2 -Wall -o "$build/smtp-load" bench/smtp-load.c

scale10=--scale10
policy=--policy
for arg do
	shift
	case "$arg" in
	--no-scale10) scale10= ;;
	--no-policy) policy= ;;
	*) set -- "$@" "$arg" ;;
	esac
done
status=0
# shellcheck disable=SC2086 # $scale10 and $policy are one word or none
/usr/bin/python3 bench/bench.py $scale10 $policy --raw-bin "$build/raw-ldap" \
	--load-bin "$build/auth-load" --smtp-load-bin "$build/smtp-load" \
	"$@" || status=$?
exit "$status"
