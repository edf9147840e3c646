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
