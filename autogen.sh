#!/bin/sh
# autogen.sh - generate ./configure (needs autoconf, automake, libtool,
# pkg-config and dovecot-dev for dovecot.m4).
set -e
autoreconf -i
