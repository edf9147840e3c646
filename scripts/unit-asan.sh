#!/bin/sh
# unit-asan.sh - build the check unit tests with clang, AddressSanitizer
# (leaks included) and UBSan into build-asan/, and run them.
set -eu
cd "$(dirname "$0")/.."
out=build-asan
mkdir -p "$out"
flags="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Isrc"
core="src/arena.c src/acl-right.c src/login-split.c src/var-template.c
src/ldap-filter.c src/ldap-dn.c src/fa-settings.c src/grant-decide.c"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 CK_FORK=no
for t in tests/unit/test-*.c; do
	name=$(basename "$t" .c)
	# shellcheck disable=SC2046,SC2086 # word lists
	clang $flags -o "$out/$name" "$t" $core $(pkg-config --cflags --libs check) -lldap
	"$out/$name" >"$out/$name.log" 2>&1 || { cat "$out/$name.log"; exit 1; }
	tail -1 "$out/$name.log"
done
