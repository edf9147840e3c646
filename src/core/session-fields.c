/* session-fields - the userdb fields of a session, for Dovecot 2.3 and 2.4
   (see session-fields.h) */

#include "session-fields.h"
#include "arena.h"
#include "fa-settings.h"
#include "var-template.h"

#include <string.h>

const char *session_grant_format(struct arena *arena,
				 const struct session_grant *grant)
{
	return arena_printf(arena, "%s %s %s", acl_right_name(grant->right),
			    grant->quota_mb != NULL ? grant->quota_mb : "-",
			    grant->target);
}

int session_grant_parse(struct arena *arena, const char *value,
			const char *user, struct session_grant *grant_r,
			const char **error_r)
{
	const char *right_end, *quota_end;
	size_t quota_len;
	bool no_quota;
	enum acl_right right = ACL_RIGHT_UNSET;

	right_end = strchr(value, ' ');
	quota_end = right_end == NULL ? NULL : strchr(right_end + 1, ' ');
	quota_len = quota_end == NULL ? 0 : quota_end - right_end - 1;
	no_quota = quota_len == 1 && right_end[1] == '-';
	/* the quota is "-" or digits, as the passdb took it from the
	   directory (fa-lookup.c: target_quota()) */
	if (quota_end == NULL || quota_len == 0 ||
	    (!no_quota && strspn(right_end + 1, "0123456789") != quota_len) ||
	    acl_right_parse(value, right_end - value, &right) < 0 ||
	    right <= ACL_RIGHT_NONE || strcmp(quota_end + 1, user) != 0) {
		/* the value is not quoted: it may come from anywhere in the
		   reply and hold anything */
		*error_r = arena_printf(arena, "malformed or foreign %s "
					"field (%zu bytes)",
					SESSION_FIELD_GRANT, strlen(value));
		return -1;
	}
	grant_r->right = right;
	grant_r->target = quota_end + 1;
	grant_r->quota_mb = no_quota ? NULL :
		arena_strndup(arena, right_end + 1, quota_len);
	return 0;
}

/* session_escape - a value as the dialect reads it literally: 2.4
   expands %{...} in every userdb value, so a '%' from the directory
   must not start one */
static const char *session_escape(struct arena *arena,
				  enum session_dialect dialect,
				  const char *value)
{
	const char *p;
	char *out, *q;

	if (dialect != SESSION_DIALECT_DOVECOT24 ||
	    strchr(value, '%') == NULL)
		return value;
	out = q = arena_alloc(arena, strlen(value) * 2 + 1);
	for (p = value; *p != '\0'; p++) {
		if (*p == '%')
			*q++ = '%';
		*q++ = *p;
	}
	*q = '\0';
	return out;
}

/* session_split - "driver:rest" into its two parts; -1 without ':' */
static int session_split(struct arena *arena, const char *value,
			 const char **driver_r, const char **rest_r)
{
	const char *colon = strchr(value, ':');

	if (colon == NULL || colon == value)
		return -1;
	*driver_r = arena_strndup(arena, value, colon - value);
	*rest_r = colon + 1;
	return 0;
}

int session_settings_check(const struct fa_settings *set,
			   enum session_dialect dialect, const char **error_r)
{
	const char *colon;

	if (dialect != SESSION_DIALECT_DOVECOT24)
		return 0;
	colon = strchr(set->userdb_mail, ':');
	if (set->userdb_mail[0] != '\0' &&
	    (colon == NULL || colon == set->userdb_mail ||
	     strchr(colon + 1, ':') != NULL)) {
		*error_r = "userdb_mail: Dovecot 2.4 takes a mail location as "
			"driver and path (mail_driver, mail_path): write it "
			"as <driver>:<path> with no further :PARAMETERS "
			"(e.g. maildir:~/Maildir), or leave it empty to use "
			"the site's mail_driver and mail_path";
		return -1;
	}
	colon = strchr(set->session_acl, ':');
	if (set->session_acl[0] != '\0' &&
	    (colon == set->session_acl ||
	     (colon != NULL && strchr(colon + 1, ':') != NULL))) {
		*error_r = "session_acl: Dovecot 2.4 takes the ACL backend as "
			"acl_driver and acl_global_path: write it as "
			"<driver> or <driver>:<global ACL file> (e.g. "
			"vfile:/etc/dovecot/functional-rights.acl)";
		return -1;
	}
	return 0;
}

/* session_template - emit key with the template expanded for the
   mailbox, unless the template is empty */
static int session_template(struct arena *arena, enum session_dialect dialect,
			    const char *user, const char *name,
			    const char *tmpl, const char **value_r,
			    const char **error_r)
{
	struct var_template_entry table[4];
	const char *error;

	*value_r = NULL;
	if (tmpl[0] == '\0')
		return 0;
	var_template_login_table(arena, user, table);
	if (var_template_expand(arena, tmpl, table, var_template_no_escape,
				value_r, &error) < 0) {
		*error_r = arena_printf(arena, "%s: %s", name, error);
		return -1;
	}
	if ((*value_r)[0] == '\0')
		*value_r = NULL;
	else
		*value_r = session_escape(arena, dialect, *value_r);
	return 0;
}

int session_fields(const struct fa_settings *set, enum session_dialect dialect,
		   struct arena *arena, const struct session_identity *identity,
		   session_field_emit_t *emit, void *context,
		   const char **error_r)
{
	const bool v24 = dialect == SESSION_DIALECT_DOVECOT24;
	const char *home, *mail, *driver, *rest;

	if (session_template(arena, dialect, identity->user, "userdb_home",
			     set->userdb_home, &home, error_r) < 0 ||
	    session_template(arena, dialect, identity->user, "userdb_mail",
			     set->userdb_mail, &mail, error_r) < 0)
		return -1;
	if (home != NULL)
		emit(context, "home", home);
	if (mail != NULL && !v24)
		emit(context, "mail", mail);
	else if (mail != NULL) {
		if (session_split(arena, mail, &driver, &rest) < 0) {
			*error_r = "userdb_mail: no driver";
			return -1;
		}
		emit(context, "mail_driver", driver);
		emit(context, "mail_path", rest);
	}
	if (identity->uid[0] != '\0')
		emit(context, "uid", identity->uid);
	if (identity->gid[0] != '\0')
		emit(context, "gid", identity->gid);
	if (identity->quota_mb != NULL) {
		const char *quota = session_escape(arena, dialect,
						   identity->quota_mb);
		if (v24)
			emit(context, "quota_storage_size",
			     arena_printf(arena, "%sM", quota));
		else
			emit(context, "quota_rule",
			     arena_printf(arena, "*:storage=%sM", quota));
	}
	if (identity->person == NULL)
		return 0;

	/* the granted right, enforced by Dovecot's ACL plugin with the
	   person as ACL user. The functional_session mail plugin turns
	   this field into acl_groups and hides every namespace but the
	   account's own: without that plugin the session has no ACL group
	   and so no rights at all (fails closed). */
	emit(context, SESSION_FIELD_ACL_GROUPS,
	     session_escape(arena, dialect,
			    arena_printf(arena, "%s%s",
					 set->session_acl_group_prefix,
					 acl_right_name(identity->right))));
	if (v24) {
		/* 2.4.1-2.4.4 look for master= on the mail side while auth
		   sends master_user=: the default acl_user %{master_user}
		   is then empty and the owner (every right) the ACL user */
		emit(context, "acl_user",
		     session_escape(arena, dialect, identity->person));
		if (set->session_acl[0] != '\0' &&
		    session_split(arena, set->session_acl,
				  &driver, &rest) < 0)
			emit(context, "acl_driver", set->session_acl);
		else if (set->session_acl[0] != '\0') {
			emit(context, "acl_driver", driver);
			emit(context, "acl_global_path", rest);
		}
	} else if (set->session_acl[0] != '\0')
		emit(context, "acl", set->session_acl);
	/* 2.3: the plugins are added to the site's list (key+=value), so
	   the session keeps quota, sieve, ... and always has the two plugins
	   that confine it, whatever the site's mail_plugins say. 2.4 cannot
	   (its "mail_plugins+" panics in 2.4.1, and a site's protocol filter
	   outranks a userdb override): there the auth layer refuses the
	   session unless the site's mail_plugins hold them. */
	if (set->session_mail_plugins[0] != '\0' && !v24)
		emit(context, "mail_plugins+",
		     arena_printf(arena, " %s", set->session_mail_plugins));
	return 0;
}
