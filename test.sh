#!/bin/sh
# test.sh - the whole test suite, on a Debian 12 (Dovecot 2.3) or Debian 13
# (Dovecot 2.4) machine, as root, against the Dovecot installed there:
# installs what is needed, builds and installs the plugin, then runs
#   1. unit tests (check), also under ASan+UBSan,
#   2. integration tests against a real slapd and dovecot on 127.0.0.1,
#      then again with Dovecot's auth process (and the plugin) under valgrind,
#   3. each libFuzzer target for a bounded time (FA_FUZZ_SECONDS, default 20).
# Ends with "N passed, N failed"; exits non-zero if anything failed.
set -u
cd "$(dirname "$0")"
./scripts/install-deps.sh || exit 1
./scripts/build.sh || exit 1

passed=0
failed=0
step() {
	name=$1
	shift
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1))
		echo "=== $name: passed"
	else
		failed=$((failed + 1))
		echo "=== $name: FAILED"
	fi
}

step "unit tests" make -s check
step "unit tests under ASan+UBSan" ./scripts/unit-asan.sh
step "integration tests" env FA_REQUIRE_MODULE=1 \
	/usr/bin/python3 -m unittest discover -s tests/integration -v
step "integration tests, auth process under valgrind" env FA_VALGRIND=1 \
	FA_REQUIRE_MODULE=1 /usr/bin/python3 -m unittest discover -s tests/integration
step "fuzzers" ./scripts/fuzz.sh "${FA_FUZZ_SECONDS:-20}"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
