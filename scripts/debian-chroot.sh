#!/usr/bin/env bash
# debian-chroot.sh SUITE COMMAND... - run COMMAND as root inside a pristine
# Debian minbase chroot of SUITE (bookworm: Debian 12, Dovecot 2.3; trixie:
# Debian 13, Dovecot 2.4) that holds only a clean clone of this repository's
# HEAD, at /project, the command's working directory. COMMAND is one shell
# string (the words are joined), run by bash -c with a clean environment
# (HOME=/root, PATH, TERM=dumb, CI=true): set anything else in the string,
# e.g.   scripts/debian-chroot.sh trixie 'FA_FUZZ_SECONDS=5 ./test.sh'
# The exit status is COMMAND's. Needs root, debootstrap (installed with
# apt-get if missing) and git.
#
# The minbase tree is built once per suite with debootstrap from this
# machine's own apt mirror and cached as a tarball in $FA_CHROOT_CACHE
# (default /var/cache/fa-chroot/SUITE.tar), rebuilt when it is older than
# 7 days; each run unpacks a fresh copy under /var/tmp and removes it on
# exit or signal, after killing whatever still runs inside it. (The copy of
# a run that was killed with SIGKILL is removed by the next run.)
set -euo pipefail

me=debian-chroot
usage="usage: $0 bookworm|trixie COMMAND..."
[ "$#" -ge 2 ] || { echo "$usage" >&2; exit 2; }
suite=$1
shift
case $suite in
bookworm | trixie) ;;
*) echo "$me: unknown suite '$suite'; $usage" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "$me: must run as root" >&2; exit 2; }
top=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
head=$(git -C "$top" rev-parse HEAD)
cache_dir=${FA_CHROOT_CACHE:-/var/cache/fa-chroot}
tarball=$cache_dir/$suite.tar
max_age_days=7

now() { date +%s.%N; }
# took START: seconds since START, one decimal
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { echo "$me: $*" >&2; }

# --- the host's apt mirror ---------------------------------------------------
# host_mirrors prints "MIRROR SECURITY_MIRROR" (the second may be empty):
# from the deb822 files, the stanza whose Suites name this host's codename
# (or, failing that, the first URIs:) and the one whose Suites name a
# -security suite; else the same from one-line "deb" sources.
host_mirrors() {
	local codename
	# shellcheck disable=SC1091 # the host's
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	# shellcheck disable=SC2016 # awk program
	local prog='
	function flush() {
		if (uri != "" && enabled != "no" && types ~ /(^| )deb( |$)/) {
			if (first == "") first = uri
			n = split(suites, s, " ")
			for (i = 1; i <= n; i++) {
				if (s[i] ~ /-security$/) { if (sec == "") sec = uri }
				else if (main == "" && (s[i] == cn || s[i] == cn "-updates")) main = uri
			}
		}
		uri = ""; suites = ""; types = ""; enabled = ""
	}
	FNR == 1 { flush() }
	/^[ \t]*#/ { next }
	/^[ \t]*$/ { flush(); next }
	tolower($1) == "uris:" { uri = $2 }
	tolower($1) == "suites:" { $1 = ""; suites = $0 }
	tolower($1) == "types:" { $1 = ""; types = $0 " " }
	tolower($1) == "enabled:" { enabled = tolower($2) }
	END { flush(); if (main == "") main = first; print main, sec }'
	local sources=(/etc/apt/sources.list.d/*.sources)
	local out=""
	if [ -e "${sources[0]}" ]; then
		out=$(awk -v cn="$codename" "$prog" "${sources[@]}")
	fi
	if [ -z "${out%% *}" ]; then
		local lists=()
		[ -e /etc/apt/sources.list ] && lists+=(/etc/apt/sources.list)
		for f in /etc/apt/sources.list.d/*.list; do
			[ -e "$f" ] && lists+=("$f")
		done
		[ "${#lists[@]}" -gt 0 ] || return 0
		# deb [options] URI SUITE COMPONENTS...
		out=$(sed -e 's/\[[^]]*\]//' "${lists[@]}" | awk '
			$1 == "deb" && $3 ~ /-security$/ { if (sec == "") sec = $2; next }
			$1 == "deb" { if (main == "") main = $2 }
			END { print main, sec }')
	fi
	echo "$out"
}

# --- tidying up a tree: processes, mounts, files -------------------------------
# kill_inside DIR: SIGKILL every process whose root directory is DIR, until
# none is left (they may fork meanwhile)
kill_inside() {
	local dir=$1 _ p pids
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		pids=""
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/root" 2>/dev/null)" = "$dir" ] && pids="$pids ${p#/proc/}"
		done
		[ -n "$pids" ] || return 0
		# shellcheck disable=SC2086 # a list of pids
		kill -9 $pids 2>/dev/null || true
		sleep 0.2
	done
	say "warning: processes still running in $dir"
}
# umount_inside DIR: lazily unmount everything mounted below DIR, innermost
# first
umount_inside() {
	local dir=$1 m
	awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
remove_tree() {
	local dir=$1
	[ -n "$dir" ] && [ -d "$dir" ] || return 0
	kill_inside "$dir"
	umount_inside "$dir"
	rm -rf --one-file-system "$dir"
}

# sweep_stale: remove the trees of runs that were SIGKILLed (no trap ran):
# each run holds a lock on DIR.lock while it lives
sweep_stale() {
	local lock
	for lock in /var/tmp/fa-chroot-*.lock; do
		# (a lock file younger than a minute may not be locked yet)
		[ -e "$lock" ] || continue
		[ -n "$(find "$lock" -mmin +1)" ] || continue
		flock -n "$lock" true 2>/dev/null || continue # its run is alive
		say "removing ${lock%.lock}, left by a killed run"
		remove_tree "${lock%.lock}"
		rm -f "$lock"
	done
}

building="" build_tmp="" root="" debootstrap_pid=""
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	trap '' INT TERM HUP
	[ -z "$debootstrap_pid" ] || kill -KILL -- -"$debootstrap_pid" 2>/dev/null || true
	[ -z "$root" ] || { remove_tree "$root"; rm -f "$root.lock"; }
	[ -z "$building" ] || remove_tree "$building"
	[ -z "$build_tmp" ] || rm -f "$build_tmp"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the cached minbase tree ---------------------------------------------------
fresh_cache() { [ -s "$tarball" ] && [ -n "$(find "$tarball" -mtime -"$max_age_days")" ]; }

build_cache() {
	local mirror sec log t0
	command -v debootstrap >/dev/null || {
		say "installing debootstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
	}
	[ -e "/usr/share/debootstrap/scripts/$suite" ] ||
		{ say "this debootstrap does not know $suite"; return 1; }
	read -r mirror sec <<<"$(host_mirrors)"
	[ -n "$mirror" ] || { say "no Debian mirror found in the apt sources"; return 1; }
	# no security archive configured: the mirror's sibling .../debian-security
	if [ -z "$sec" ]; then
		case ${mirror%/} in
		*/debian) sec=${mirror%/}-security ;;
		*) sec=$(dirname "${mirror%/}")/debian-security ;;
		esac
	fi

	building=$(mktemp -d "$cache_dir/build-$suite.XXXXXX")
	chmod 755 "$building"
	log=$cache_dir/debootstrap-$suite.log
	say "debootstrap --variant=minbase $suite from $mirror (log: $log)"
	t0=$(now)
	# in the background and a process group of its own: a signal stops it
	set -m
	debootstrap --variant=minbase "$suite" "$building" "$mirror" >"$log" 2>&1 &
	debootstrap_pid=$!
	set +m
	local rc=0
	wait "$debootstrap_pid" || rc=$?
	debootstrap_pid=""
	if [ "$rc" != 0 ]; then
		tail -n 20 "$log" >&2
		say "debootstrap failed (exit status $rc)"
		return 1
	fi
	say "debootstrap: $(took "$t0") s"
	umount_inside "$building" # in case debootstrap left anything mounted

	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg signed=""
	[ -e "$building$keyring" ] && signed="Signed-By: $keyring"
	rm -f "$building/etc/apt/sources.list"
	cat >"$building/etc/apt/sources.list.d/debian.sources" <<-SOURCES
		Types: deb
		URIs: $mirror
		Suites: $suite $suite-updates
		Components: main
		$signed

		Types: deb
		URIs: $sec
		Suites: $suite-security
		Components: main
		$signed
	SOURCES
	# the packages' services must not start (as in a container)
	printf '#!/bin/sh\nexit 101\n' >"$building/usr/sbin/policy-rc.d"
	chmod 755 "$building/usr/sbin/policy-rc.d"
	# what an installed Debian machine has and minbase does not
	[ -e "$building/etc/hosts" ] ||
		printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$building/etc/hosts"
	rm -f "$building"/var/cache/apt/archives/*.deb

	build_tmp=$(mktemp "$tarball.tmp.XXXXXX")
	tar -C "$building" -cf "$build_tmp" .
	chmod 644 "$build_tmp"
	mv -f "$build_tmp" "$tarball"
	build_tmp=""
	remove_tree "$building"
	building=""
}

# (in a function, all read before it runs: a run survives edits of this file)
main() {
	mkdir -p "$cache_dir"
	if ! fresh_cache; then
		# one builder at a time; whoever waited finds the cache built
		exec 9>"$cache_dir/$suite.lock"
		flock 9
		# (not "fresh_cache || build_cache": set -e would not apply inside it)
		if ! fresh_cache; then build_cache; fi
		exec 9>&-
	fi

	# --- one run -----------------------------------------------------------------
	sweep_stale
	t0=$(now)
	root=$(mktemp -d "/var/tmp/fa-chroot-$suite.XXXXXX")
	exec 8>"$root.lock"
	flock 8
	tar -C "$root" -xf "$tarball"
	chmod 755 "$root" # _apt, slapd, dovecot's users must traverse /
	git clone -q --no-hardlinks "$top" "$root/project"
	if [ "$(git -C "$root/project" rev-parse HEAD)" != "$head" ]; then
		git -C "$root/project" fetch -q "$top" "$head"
		git -C "$root/project" checkout -q --detach "$head"
	fi
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	mount -t proc proc "$root/proc"
	mount -t sysfs sys "$root/sys"
	mount --bind /dev "$root/dev"
	mount --bind /dev/pts "$root/dev/pts"
	# a tmpfs of its own, not the bind-mounted /dev's directory under the host's
	[ -d "$root/dev/shm" ] && mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
	say "$suite: unpack and clone $(git -C "$top" rev-parse --short HEAD): $(took "$t0") s"

	t0=$(now)
	# in the background, so that a signal is handled at once (by the traps
	# above) rather than when the command ends
	# (and with SIGINT and SIGQUIT not ignored, as bash has them for "&")
	env --default-signal=INT,QUIT chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb CI=true \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		bash -c "cd /project && $*" <&0 8>&- 9>&- &
	rc=0
	wait "$!" || rc=$?
	say "$suite: command: $(took "$t0") s, exit status $rc"
	return "$rc"
}
main "$@"; exit
