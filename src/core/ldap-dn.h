#ifndef LDAP_DN_H
#define LDAP_DN_H

/* ldap-dn - DNs in the one form grant_decide() compares (case-
   insensitively): a directory may write the same DN as
   "uid=alice,cn=users,dc=example,dc=com" in one entry and
   "UID=alice, cn=Users,dc=example,dc=com" in another's member list. */

#include <stdbool.h>

struct arena;

/* ldap_dn_is_plain - dn is attr=value RDNs joined by ',' with nothing
   that LDAPv3 normalization would rewrite (no spaces, escapes, quotes,
   multi-valued RDNs, OIDs or characters outside [A-Za-z0-9.@_-]): it is
   its own normal form, up to case */
bool ldap_dn_is_plain(const char *dn);

/* ldap_dn_comparable - the form in which DNs are compared (with strcmp):
   dn when plain, else libldap's LDAPv3 normalization, and then case-folded
   also beyond ASCII (text_casefold) with runs of spaces made one, as LDAP
   compares the values of DN attributes; dn case-folded as it is when it
   does not parse. Most directories write DNs plainly, so on the login path this is
   a scan instead of a parse. */
const char *ldap_dn_comparable(struct arena *arena, const char *dn);

#endif
