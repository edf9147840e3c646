/* ldap-dn - DNs in a comparable form */

#include "ldap-dn.h"
#include "arena.h"
#include "text-fold.h"

#include <ldap.h>
#include <string.h>

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_value_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '.' || c == '@' ||
		c == '_' || c == '-';
}

bool ldap_dn_is_plain(const char *dn)
{
	const char *p = dn;

	for (;;) {
		/* attribute type: a descriptor (RFC 4512 keystring) */
		if (!is_alpha(*p))
			return false;
		while (is_alpha(*p) || is_digit(*p) || *p == '-')
			p++;
		if (*p++ != '=')
			return false;
		/* value: at least one character, none that could be
		   escaped, quoted or trimmed differently */
		if (!is_value_char(*p))
			return false;
		while (is_value_char(*p))
			p++;
		if (*p == '\0')
			return true;
		if (*p++ != ',')
			return false;
	}
}

/* dn_fold_spaces - runs of (unescaped) white space made one space, as
   LDAP's string preparation (RFC 4518: tabs and line ends map to space,
   insignificant spaces) compares "Domain  Users" and "Domain Users" */
static const char *dn_fold_spaces(struct arena *arena, const char *dn)
{
	const char *p;
	char *out, *o;
	bool space = false;

	if (strstr(dn, "  ") == NULL && strpbrk(dn, "\t\n\r\v\f") == NULL)
		return dn;
	o = out = arena_alloc(arena, strlen(dn) + 1);
	for (p = dn; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			*o++ = *p++;
			*o++ = *p;
			space = false;
		} else if (!text_is_space(*p)) {
			*o++ = *p;
			space = false;
		} else if (!space) {
			*o++ = ' ';
			space = true;
		}
	}
	*o = '\0';
	return out;
}

const char *ldap_dn_comparable(struct arena *arena, const char *dn)
{
	char *out = NULL;
	const char *result;

	if (ldap_dn_is_plain(dn))
		return text_casefold(arena, dn);
	if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &out,
			      LDAP_DN_FORMAT_LDAPV3 | LDAP_DN_PRETTY) != LDAP_SUCCESS ||
	    out == NULL)
		return text_casefold(arena, dn);
	result = text_casefold(arena, out);
	if (result == out)
		result = arena_strdup(arena, out);
	ldap_memfree(out);
	return dn_fold_spaces(arena, result);
}
