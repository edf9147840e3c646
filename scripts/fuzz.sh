#!/bin/sh
# fuzz.sh [SECONDS] - build the libFuzzer targets (clang, ASan+UBSan) for
# the login splitter, the config parser, the ACL decision on any bytes,
# the plain-DN shortcut (against libldap's normalization) and the
# decision checked against itself (fuzz-decide: metamorphic properties),
# the Postfix policy protocol (fuzz-policy: framing however bytes arrive),
# and run each for SECONDS (default 60). Builds in build-fuzz/, crashes
# land there too.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
out=build-fuzz
mkdir -p "$out"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc/core"
core="src/core/arena.c src/core/text-fold.c src/core/fa-clock.c src/core/acl-right.c
src/core/login-split.c src/core/var-template.c src/core/ldap-filter.c src/core/ldap-dn.c
src/core/fa-settings.c src/core/grant-decide.c src/core/policy-request.c"
for target in login-split settings acl dn decide policy; do
	# shellcheck disable=SC2086 # word lists
	clang $flags -o "$out/fuzz-$target" "tests/fuzz/fuzz-$target.c" $core -lldap
	mkdir -p "$out/corpus-$target"
	echo "fuzz-$target: ${secs}s"
	# policy requests reach their limits only beyond 8 KiB
	max_len=4096
	[ "$target" = policy ] && max_len=70000
	"$out/fuzz-$target" -max_total_time="$secs" -max_len="$max_len" \
		-artifact_prefix="$out/" "$out/corpus-$target" \
		2>"$out/fuzz-$target.log" ||
		{ tail -40 "$out/fuzz-$target.log"; exit 1; }
	grep -E '^(#[0-9]+ +DONE|Done)' "$out/fuzz-$target.log" | tail -1
done
