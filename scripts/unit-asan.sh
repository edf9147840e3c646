#!/bin/sh
# unit-asan.sh - build the check unit tests with clang, AddressSanitizer
# (leaks included) and UBSan into build-asan/, and run them. test-lookup
# is linked with the fake directory and the fake loop (which also stands
# in for src/core/fa-clock.c) instead of src/core/ldap-pool.c, as in Makefile.am.
# Every test program runs; the failed ones are listed at the end.
set -eu
cd "$(dirname "$0")/.."
out=build-asan
mkdir -p "$out"
flags="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Isrc/core"
core="src/core/arena.c src/core/text-fold.c src/core/acl-right.c src/core/login-split.c
src/core/var-template.c src/core/ldap-filter.c src/core/ldap-dn.c src/core/fa-settings.c
src/core/grant-decide.c src/core/session-fields.c src/core/policy-request.c"
lookup="src/core/lookup-cache.c src/core/fa-lookup.c src/core/ldap-entry.c tests/unit/fake-ldap-pool.c
tests/unit/fake-loop.c"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 CK_FORK=no
failed=""
for t in tests/unit/test-*.c; do
	name=$(basename "$t" .c)
	extra="src/core/fa-clock.c"
	[ "$name" = test-lookup ] && extra=$lookup
	# shellcheck disable=SC2046,SC2086 # word lists
	clang $flags -o "$out/$name" "$t" $core $extra $(pkg-config --cflags --libs check) -lldap -llber
	if "$out/$name" >"$out/$name.log" 2>&1; then
		echo "$name: $(tail -1 "$out/$name.log")"
	else
		echo "$name: FAILED"; tail -40 "$out/$name.log"
		failed="$failed $name"
	fi
done
[ -z "$failed" ] || { echo "failed:$failed (logs in $out/)"; exit 1; }
