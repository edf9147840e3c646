dnl fa-deps.m4 - checks for the libraries the plugin and its tests need,
dnl each failing with the Debian package that provides it.

AC_DEFUN([FA_CHECK_LIBLDAP],[
	AC_CHECK_HEADER([ldap.h], [],
		[AC_MSG_ERROR([ldap.h not found: install OpenLDAP's headers (Debian: apt-get install libldap-dev)])])
	AC_CHECK_LIB([ldap], [ldap_initialize], [LDAP_LIBS="-lldap -llber"],
		[AC_MSG_ERROR([libldap not found: install OpenLDAP's library (Debian: apt-get install libldap-dev)])])
	AC_SUBST([LDAP_LIBS])
])

AC_DEFUN([FA_CHECK_CHECK],[
	PKG_CHECK_MODULES([CHECK], [check >= 0.9.10], [have_check=yes],
		[have_check=no
		 AC_MSG_WARN([check not found: unit tests disabled (Debian: apt-get install check)])])
	AM_CONDITIONAL([HAVE_CHECK], [test "$have_check" = yes])
])

dnl FA_CHECK_LIBEVENT - libevent's core (the policy service's event loop)
AC_DEFUN([FA_CHECK_LIBEVENT],[
	PKG_CHECK_MODULES([LIBEVENT], [libevent_core >= 2.1], [],
		[AC_MSG_ERROR([libevent_core not found: the Postfix policy service needs it (Debian: apt-get install libevent-dev)])])
])
