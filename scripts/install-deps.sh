#!/bin/sh
# install-deps.sh - install the Debian packages needed to build, demo,
# test and benchmark the plugin and the Postfix policy service, on Debian
# 12 (bookworm, Dovecot 2.3) or Debian 13 (trixie, Dovecot 2.4). Runs
# apt-get only when something is missing. Needs root. (postfix replaces
# another MTA package, e.g. exim4: meant for build and test machines.)
set -eu

PACKAGES="build-essential autoconf automake libtool pkg-config
dovecot-dev dovecot-core dovecot-imapd dovecot-pop3d dovecot-ldap
slapd ldap-utils libldap-dev check python3 clang valgrind openssl
libevent-dev postfix postfix-ldap libsasl2-modules dovecot-submissiond"

# clang's libFuzzer and ASan/UBSan runtimes come in libclang-rt-N-dev, N
# being clang's major version: 14 on Debian 12, 19 on Debian 13. N is read
# from the version of the "clang" package (1:14.0-55.7~deb12u1, 1:19.0-63);
# with no such version, the metapackage that pulls the default clang's.
rt_package() {
	major=${1#*:}
	major=${major%%.*}
	case $major in
	"" | *[!0-9]*) echo libclang-rt-dev ;;
	*) echo "libclang-rt-$major-dev" ;;
	esac
}
installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}

# slapd, dovecot's imap and login processes run as unprivileged users and
# must be able to traverse "/"; some freshly made chroots have it 0700
if [ "$(id -u)" = 0 ] && [ "$(stat -c %a /)" = 700 ]; then
	echo "install-deps: / is mode 700; making it traversable (chmod 755 /)"
	chmod 755 /
fi

missing=""
for pkg in $PACKAGES; do
	installed "$pkg" || missing="$missing $pkg"
done
# the runtime for the installed clang; if clang itself is missing, the one
# for the clang about to be installed is chosen after apt-get update
rt=""
if installed clang; then
	rt=$(rt_package "$(dpkg-query -W -f='${Version}' clang)")
	installed "$rt" || missing="$missing $rt"
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	[ -n "$rt" ] || missing="$missing libclang-rt-N-dev"
	echo "install-deps: missing packages:$missing; run as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# the packages' own slapd/dovecot services must not start: tests and the
# demo run their own throwaway servers on loopback
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
if [ -z "$rt" ]; then
	rt=$(rt_package "$(apt-cache show --no-all-versions clang 2>/dev/null |
		sed -n 's/^Version: //p' | head -n 1)")
	missing="$missing $rt"
fi
echo "install-deps: installing$missing"
# slapd asks for an admin password; preseed a throwaway one
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
# postfix: no main.cf, no running MTA; tests and the demo run their own
# private instances on loopback (postfix -c DIR)
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
# shellcheck disable=SC2086 # one word per package
apt-get install -y -qq --no-install-recommends $missing >/dev/null
