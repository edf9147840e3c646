#ifndef LDAP_FILTER_H
#define LDAP_FILTER_H

/* ldap-filter - the one place that quotes values for LDAP search filters
   (RFC 4515). DNs are never built from input in this project, so there is
   no DN quoting: values only ever land in filters. */

struct arena;
struct var_template_entry;

/* ldap_filter_escape - quote value for use inside a filter assertion */
const char *ldap_filter_escape(struct arena *arena, const char *value);

/* ldap_filter_expand - expand a filter template with escaped values */
int ldap_filter_expand(struct arena *arena, const char *tmpl,
		       const struct var_template_entry *table,
		       const char **filter_r, const char **error_r);

#endif
