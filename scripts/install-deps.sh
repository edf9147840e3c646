#!/bin/sh
# install-deps.sh - install the Debian 12 packages needed to build, demo and
# test the plugin. Runs apt-get only when something is missing. Needs root.
set -eu

PACKAGES="build-essential autoconf automake libtool pkg-config
dovecot-dev dovecot-core dovecot-imapd dovecot-pop3d dovecot-ldap
slapd ldap-utils libldap-dev check python3 clang libclang-rt-14-dev valgrind openssl"

# slapd, dovecot's imap and login processes run as unprivileged users and
# must be able to traverse "/"; some freshly made chroots have it 0700
if [ "$(id -u)" = 0 ] && [ "$(stat -c %a /)" = 700 ]; then
	echo "install-deps: / is mode 700; making it traversable (chmod 755 /)"
	chmod 755 /
fi

missing=""
for pkg in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing; run as root" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# the packages' own slapd/dovecot services must not start: tests and the
# demo run their own throwaway servers on loopback
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
# slapd asks for an admin password; preseed a throwaway one
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
# shellcheck disable=SC2086 # one word per package
apt-get install -y -qq --no-install-recommends $missing >/dev/null
