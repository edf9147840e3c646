/* ldap-filter - quote untrusted values for LDAP search filters.

   RFC 4515 requires escaping only '*', '(', ')', '\' and NUL. We escape
   every byte outside a small set that mail addresses and uids consist of
   ([A-Za-z0-9.@_+-]), as \HH: any octet may be written that way, so the
   result is always valid, and no server-side parsing quirk (UTF-8
   normalisation, substring or extensible-match syntax) can ever see a
   metacharacter that came from a client. */

#include "ldap-filter.h"
#include "var-template.h"
#include "arena.h"

#include <string.h>

static int ldap_filter_byte_is_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '.' || c == '@' ||
		c == '_' || c == '+' || c == '-';
}

const char *ldap_filter_escape(struct arena *arena, const char *value)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	size_t len = 0;
	char *out, *o;

	for (p = (const unsigned char *)value; *p != '\0'; p++)
		len += ldap_filter_byte_is_safe(*p) ? 1 : 3;
	o = out = arena_alloc(arena, len + 1);
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (ldap_filter_byte_is_safe(*p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '\\';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 0x0f];
		}
	}
	*o = '\0';
	return out;
}

int ldap_filter_expand(struct arena *arena, const char *tmpl,
		       const struct var_template_entry *table,
		       const char **filter_r, const char **error_r)
{
	return var_template_expand(arena, tmpl, table, ldap_filter_escape,
				   filter_r, error_r);
}
