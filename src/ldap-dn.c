/* ldap-dn - DNs in a comparable form */

#include "ldap-dn.h"
#include "arena.h"
#include "text-fold.h"

#include <ldap.h>

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
	return result;
}
