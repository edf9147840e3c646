/* session24 - Dovecot 2.4 mail plugin "functional_session": confines a
   functional session (a person acting as a functional account, granted
   by our passdb) to the account's own mailboxes and to the right the
   person was granted. The 2.4 twin of dovecot23/session23.c.

   Takes the userdb field functional_acl_groups (a setting declared by the
   settings plugin), which our userdb sets only for such sessions;
   sessions without it are not touched. For the others, in
   mail_user_created (hooks run sorted by module file name:
   lib00_functional_session before lib01_acl) it overrides, in the
   session's own settings instance, acl_groups with exactly that group,
   whose rights the site's global ACL file gives (functional-rights.acl),
   and disables every namespace that is not private: shared/ and public/
   must not exist in the session, or the person's grant on the account
   would reach other people's mailboxes.

   Then it reads the settings back as the ACL plugin will see them, and
   fails the session, never opens it unconfined, when the grant cannot be
   enforced: the ACL plugin is not loaded or has no acl_driver, the ACL
   user would be the account itself (its owner has every right), the
   group did not take, or a kept namespace has acl_ignore. */

#include "lib.h"
#include "array.h"
#include "module-dir.h"
#include "settings.h"
#include "settings-parser.h"
#include "mail-user.h"
#include "mail-storage.h"
#include "mail-storage-settings.h"
#include "mail-storage-service.h"
#include "mail-storage-hooks.h"
#include "session-module.h"
#include "acl-settings.h"

#include <dlfcn.h>

#include "settings24.h"

/* the ACL plugin's settings, looked up at run time: it loads after us
   (lib01 > lib00), so its symbols do not exist when we are loaded */
static const struct setting_parser_info *functional_session_acl_info(void)
{
	return dlsym(RTLD_DEFAULT, "acl_setting_parser_info");
}

/* functional_session_namespaces - call func for each namespace the
   site configured, with its settings; -1 with error_r */
static int
functional_session_namespaces(struct mail_user *user,
			      int (*func)(struct mail_user *user,
					  const char *name,
					  const struct mail_namespace_settings *ns_set,
					  void *context, const char **error_r),
			      void *context, const char **error_r)
{
	const struct mail_namespace_settings *ns_set;
	const char *name;
	int ret = 0;

	if (!array_is_created(&user->set->namespaces))
		return 0;
	array_foreach_elem(&user->set->namespaces, name) {
		if (settings_get_filter(user->event,
					SETTINGS_EVENT_NAMESPACE_NAME, name,
					&mail_namespace_setting_parser_info, 0,
					&ns_set, error_r) < 0)
			return -1;
		ret = func(user, name, ns_set, context, error_r);
		settings_free(ns_set);
		if (ret < 0)
			break;
	}
	return ret;
}

static int
functional_session_hide(struct mail_user *user, const char *name,
			const struct mail_namespace_settings *ns_set,
			void *context, const char **error_r)
{
	struct settings_instance *instance = context;

	if (strcmp(ns_set->type, "private") == 0 || ns_set->disabled)
		return 0;
	if (strpbrk(name, "/\\") != NULL) {
		*error_r = t_strdup_printf("namespace '%s' (type %s) cannot "
					   "be disabled: its name holds '/'",
					   name, ns_set->type);
		return -1;
	}
	settings_override(instance,
			  t_strdup_printf("%s/%s/disabled",
					  SETTINGS_EVENT_NAMESPACE_NAME, name),
			  "yes", SETTINGS_OVERRIDE_TYPE_CODE);
	e_debug(user->event, "functional_session: namespace '%s' (type %s) "
		"disabled in this session", name, ns_set->type);
	return 0;
}

/* functional_session_check_kept - a namespace the session keeps must be
   private and under the ACL plugin's rule (no acl_ignore) */
static int
functional_session_check_kept(struct mail_user *user, const char *name,
			      const struct mail_namespace_settings *ns_set,
			      void *context ATTR_UNUSED, const char **error_r)
{
	const struct setting_parser_info *acl_info =
		functional_session_acl_info();
	const struct acl_settings *acl_set;
	bool ignored;
	int ret;

	if (ns_set->disabled)
		return 0;
	if (strcmp(ns_set->type, "private") != 0) {
		*error_r = t_strdup_printf("namespace '%s' (type %s) is still "
					   "enabled", name, ns_set->type);
		return -1;
	}
	/* the namespace's own ACL settings, or (a namespace with none of
	   its own, as on UCS) the user's */
	ret = settings_try_get_filter(user->event, SETTINGS_EVENT_NAMESPACE_NAME,
				      name, acl_info, 0, &acl_set, error_r);
	if (ret == 0)
		ret = settings_get(user->event, acl_info, 0, &acl_set, error_r);
	if (ret < 0)
		return -1;
	ignored = acl_set->acl_ignore;
	settings_free(acl_set);
	if (ignored) {
		*error_r = t_strdup_printf("acl_ignore exempts namespace '%s' "
					   "from ACLs", name);
		return -1;
	}
	return 0;
}

/* functional_session_unenforceable - why the ACL plugin would not enforce
   exactly the group's rights in this session, or NULL if it will */
static const char *
functional_session_unenforceable(struct mail_user *user, const char *group)
{
	const struct setting_parser_info *acl_info =
		functional_session_acl_info();
	const struct acl_settings *acl_set;
	const char *const *groups, *reason = NULL, *error;

	if (*group == '\0' || strpbrk(group, ", ") != NULL)
		return t_strdup_printf("malformed functional_acl_groups: '%s'",
				       group);
	if (acl_info == NULL || !array_is_created(&user->set->mail_plugins) ||
	    !str_array_find(settings_boollist_get(&user->set->mail_plugins),
			    "acl"))
		return "Dovecot's ACL plugin is not loaded for this session "
			"(mail_plugins { acl = yes })";
	if (settings_get(user->event, acl_info, 0, &acl_set, &error) < 0)
		return t_strdup_printf("ACL settings: %s", error);
	groups = array_is_created(&acl_set->acl_groups) ?
		settings_boollist_get(&acl_set->acl_groups) : NULL;
	if (acl_set->acl_driver[0] == '\0')
		reason = "Dovecot's ACL plugin has no acl_driver for this "
			"session (acl_driver = vfile, acl_global_path = ...)";
	else if (acl_set->acl_user[0] == '\0' ||
		 strcmp(acl_set->acl_user, user->username) == 0)
		reason = "the ACL user would be the account itself, which has "
			"every right (acl_user is empty or names the account)";
	else if (groups == NULL || groups[0] == NULL ||
		 strcmp(groups[0], group) != 0 || groups[1] != NULL)
		reason = "acl_groups did not become exactly the session's group";
	settings_free(acl_set);
	if (reason == NULL &&
	    functional_session_namespaces(user, functional_session_check_kept,
					  NULL, &error) < 0)
		reason = error;
	return reason;
}

static void functional_session_fail(struct mail_user *user,
				    const char *reason)
{
	if (user->error != NULL)
		return;
	user->error = p_strdup_printf(user->pool, "functional_session: "
		"refusing the session of %s as %s: %s",
		user->master_user != NULL ? user->master_user :
		(user->auth_user != NULL ? user->auth_user : "?"),
		user->username, reason);
}

static void functional_session_mail_user_created(struct mail_user *user)
{
	const struct functional_session_settings *set;
	const struct mail_user_settings *user_set;
	struct settings_instance *instance;
	const char *group, *reason, *error;

	if (settings_get(user->event, &functional_session_setting_parser_info,
			 0, &set, &error) < 0) {
		functional_session_fail(user, error);
		return;
	}
	if (set->functional_acl_groups[0] == '\0') {
		settings_free(set);
		return;
	}
	group = p_strdup(user->pool, set->functional_acl_groups);
	settings_free(set);

	instance = user->service_user == NULL ? NULL :
		mail_storage_service_user_get_settings_instance(
			user->service_user);
	if (instance == NULL) {
		functional_session_fail(user, "no settings instance to "
					"confine the session in");
		return;
	}
	settings_override(instance, "acl_groups", group,
			  SETTINGS_OVERRIDE_TYPE_CODE);
	if (functional_session_namespaces(user, functional_session_hide,
					  instance, &error) < 0) {
		functional_session_fail(user, error);
		return;
	}
	/* Dovecot binds a namespace/<name>/ override to its filter when it
	   next looks up the settings that define the namespace list; the
	   user's were read before this hook, so look them up once more, or
	   the namespaces would be created as the site configured them (the
	   read-back below would then refuse the session) */
	if (settings_get(user->event, &mail_user_setting_parser_info, 0,
			 &user_set, &error) < 0) {
		functional_session_fail(user, error);
		return;
	}
	settings_free(user_set);
	reason = functional_session_unenforceable(user, group);
	if (reason != NULL) {
		functional_session_fail(user, reason);
		return;
	}
	e_debug(user->event, "functional_session: acl_groups=%s", group);
}

FUNCTIONAL_SESSION_MODULE(functional_session_mail_user_created)
