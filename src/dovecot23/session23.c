/* dovecot-mail23 - Dovecot 2.3 mail plugin "functional_session": confines
   a functional session (a person acting as a functional account, granted
   by our passdb, see dovecot-auth23.c) to the account's own mailboxes and
   to the right the person was granted.

   Takes the userdb field functional_acl_groups (a plugin setting in 2.3),
   which our userdb sets only for such sessions; sessions without it are
   not touched. For the others, in mail_user_created and before Dovecot's
   ACL plugin reads its settings (hooks run sorted by module file name:
   lib00_functional_session before lib01_acl), it makes acl_groups exactly
   that group, whose rights the site's global ACL file gives (see
   functional-rights.acl), and disables every namespace that is not
   private: shared/ and public/ must not exist in the session, or the
   person's grant on the account would reach other people's mailboxes.
   The settings changed are the session's own copy (mail_user_alloc dups
   them); namespaces are created from them after the hook.

   Fails the session, never opens it unconfined, when the grant cannot be
   enforced: the ACL plugin is not active for the user, the ACL user would
   be the account itself (its owner has every right), or acl_ignore_namespace
   exempts a namespace the session keeps. */

#include "lib.h"
#include "array.h"
#include "wildcard-match.h"
#include "module-dir.h"
#include "mail-user.h"
#include "mail-storage-hooks.h"
#include "session-module.h"

#define FUNCTIONAL_SESSION_GROUPS_SETTING "functional_acl_groups"

/* functional_session_setenv - set a plugin setting in the user's copy of
   the settings, replacing any value the site or the userdb gave */
static void functional_session_setenv(struct mail_user *user,
				      const char *key, const char *value)
{
	const char **envs;
	unsigned int i, count;

	envs = array_get_modifiable(&user->set->plugin_envs, &count);
	for (i = 0; i < count; i += 2) {
		if (strcmp(envs[i], key) == 0) {
			envs[i+1] = value;
			return;
		}
	}
	key = p_strdup(user->pool, key);
	array_push_back(&user->set->plugin_envs, &key);
	array_push_back(&user->set->plugin_envs, &value);
}

/* functional_session_hide_namespaces - disable the shared and public
   namespaces, so that only the account's private ones are created */
static void functional_session_hide_namespaces(struct mail_user *user)
{
	struct mail_namespace_settings *ns_set;

	if (!array_is_created(&user->set->namespaces))
		return;
	array_foreach_elem(&user->set->namespaces, ns_set) {
		if (strcmp(ns_set->type, "private") == 0 || ns_set->disabled)
			continue;
		ns_set->disabled = TRUE;
		e_debug(user->event, "functional_session: "
			"namespace '%s' (type %s) disabled in this session",
			ns_set->prefix, ns_set->type);
	}
}

/* functional_session_ignored_namespace - the prefix of a namespace the
   session keeps that acl_ignore_namespace exempts from ACLs, or NULL */
static const char *
functional_session_ignored_namespace(struct mail_user *user)
{
	struct mail_namespace_settings *ns_set;
	const char *pattern;
	unsigned int i;

	if (!array_is_created(&user->set->namespaces))
		return NULL;
	pattern = mail_user_plugin_getenv(user, "acl_ignore_namespace");
	for (i = 2; pattern != NULL; i++) {
		array_foreach_elem(&user->set->namespaces, ns_set) {
			if (!ns_set->disabled &&
			    wildcard_match(ns_set->prefix, pattern))
				return ns_set->prefix;
		}
		pattern = mail_user_plugin_getenv(user,
			t_strdup_printf("acl_ignore_namespace%u", i));
	}
	return NULL;
}

/* functional_session_unenforceable - why the ACL plugin would not enforce
   the group's rights in this session, or NULL if it will */
static const char *
functional_session_unenforceable(struct mail_user *user, const char *groups)
{
	const char *acl, *acl_user, *prefix;

	if (*groups == '\0' || strchr(groups, ',') != NULL)
		return t_strdup_printf("malformed %s: '%s'",
				       FUNCTIONAL_SESSION_GROUPS_SETTING,
				       groups);
	acl = mail_user_plugin_getenv(user, "acl");
	if (!str_array_find(t_strsplit_spaces(user->set->mail_plugins, ", "),
			    "acl") || acl == NULL || *acl == '\0')
		return "Dovecot's ACL plugin is not active for this session "
			"(set mail_plugins = $mail_plugins acl and "
			"plugin { acl = vfile:... })";
	/* the ACL plugin's own choice of user: acl_user, else master_user */
	acl_user = mail_user_plugin_getenv(user, "acl_user");
	if (acl_user == NULL)
		acl_user = mail_user_plugin_getenv(user, "master_user");
	if (acl_user == NULL || *acl_user == '\0' ||
	    strcmp(acl_user, user->username) == 0)
		return "the ACL user would be the account itself, which "
			"has every right (no master_user, or acl_user names "
			"the account)";
	prefix = functional_session_ignored_namespace(user);
	if (prefix != NULL)
		return t_strdup_printf("acl_ignore_namespace exempts namespace "
				       "'%s' from ACLs", prefix);
	return NULL;
}

static void functional_session_mail_user_created(struct mail_user *user)
{
	const char *groups, *reason, *person;

	groups = mail_user_plugin_getenv(user, FUNCTIONAL_SESSION_GROUPS_SETTING);
	if (groups == NULL)
		return;

	functional_session_setenv(user, "acl_groups", groups);
	functional_session_hide_namespaces(user);

	reason = functional_session_unenforceable(user, groups);
	if (reason != NULL) {
		person = mail_user_plugin_getenv(user, "master_user");
		if (user->error == NULL) {
			user->error = p_strdup_printf(user->pool,
				"functional_session: refusing the session of "
				"%s as %s: %s", person != NULL ? person : "?",
				user->username, reason);
		}
		return;
	}
	e_debug(user->event, "functional_session: acl_groups=%s", groups);
}

FUNCTIONAL_SESSION_MODULE(functional_session_mail_user_created)
