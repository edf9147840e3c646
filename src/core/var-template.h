#ifndef VAR_TEMPLATE_H
#define VAR_TEMPLATE_H

/* var-template - expand Dovecot-style %-variables in config templates.
   Every value passes through the escape function the caller names, so
   untrusted input cannot change the structure of what it lands in. */

struct arena;

struct var_template_entry {
	/* short form, e.g. 'u' for %u; 0 if there is none */
	char key;
	/* long form, e.g. "user" for %{user}; NULL if there is none */
	const char *long_key;
	/* value; NULL means "not available here" and fails the expansion */
	const char *value;
};

/* escape function: returns the escaped copy of value from arena */
typedef const char *var_template_escape_t(struct arena *arena,
					  const char *value);

/* var_template_no_escape - the value as it is (for templates whose
   result is not parsed again, e.g. a path) */
const char *var_template_no_escape(struct arena *arena, const char *value);

/* var_template_expand - expand tmpl using table (ended by an entry with
   key 0 and long_key NULL). Unknown or unavailable variables and a
   trailing '%' fail with error_r. */
int var_template_expand(struct arena *arena, const char *tmpl,
			const struct var_template_entry *table,
			var_template_escape_t *escape,
			const char **result_r, const char **error_r);

/* var_template_login_table - fill a 4-entry table (plus terminator) with
   %u/%{user}, %n/%{username}, %d/%{domain} for an address or uid */
void var_template_login_table(struct arena *arena, const char *login,
			      struct var_template_entry table_r[4]);

#endif
