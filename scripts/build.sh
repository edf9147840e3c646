#!/bin/sh
# build.sh - configure, build and install the module and the explain tool
# into Dovecot's auth module directory (and /usr/local/bin). Extra
# arguments go to ./configure (e.g. CFLAGS=... for sanitizer builds).
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || autoreconf -i >/dev/null 2>&1
if [ ! -f Makefile ] || [ "$#" -gt 0 ]; then
	./configure --quiet "$@"
fi
make -s -j"$(nproc)"
make -s install >/dev/null
