/* authdb24 - the Dovecot 2.4 auth layer: passdb and userdb "functional"
   (dovecot/authdb.c) created from the block's functional_config_file
   setting (declared by the settings plugin, settings-plugin.c) and
   registered with Dovecot 2.4's auth process.

     passdb functional {
       driver = functional
       functional_config_file = /etc/dovecot/functional-accounts.conf
     }

   preinit runs once per auth instance and passdb (one per protocol
   filter); every module naming one file shares its context. */

#include "auth-common.h"
#include "settings.h"
#include "passdb.h"
#include "userdb.h"
#include "auth-request.h"
#include "auth-settings.h"
#include "mail-storage-settings.h"

#include <dlfcn.h>

#include "layer.h"
#include "authdb.h"
#include "settings24.h"
#include "fa-settings.h"

/* cache keys, used by 2.4 exactly as given (nothing is appended, and
   single-letter variables do not exist: "%u" would be one constant key
   for every user). %{user} is the login as typed, which for person-first
   logins holds the target; a `master = yes` block (SASL authzid) sees the
   person as %{user} and the target as %{login_user}. Both hold the
   protocol, because the same login is granted for IMAP and refused for
   SMTP (smtp_functional_logins): a cached IMAP grant must not answer SMTP. */
#define FUNCTIONAL_CACHE_KEY "%{user}\t%{protocol}"
#define FUNCTIONAL_MASTER_CACHE_KEY "%{user}\t%{login_user}\t%{protocol}"

/* the mail side's settings definitions (mail_user_setting_parser_info),
   from libdovecot-storage, which the auth process does not link: loaded
   in preinit, while the process may still read every file */
static const struct setting_parser_info *functional_mail_user_info;

static int functional_mail_user_info_load(const char **error_r)
{
	void *lib;

	if (functional_mail_user_info != NULL)
		return 0;
	lib = dlopen(FA_DOVECOT_STORAGE_LIB, RTLD_NOW | RTLD_GLOBAL);
	if (lib != NULL)
		functional_mail_user_info =
			dlsym(lib, "mail_user_setting_parser_info");
	if (functional_mail_user_info == NULL) {
		*error_r = t_strdup_printf("cannot read the mail side's "
			"settings (to check that functional sessions load the "
			"plugins that confine them): %s", dlerror());
		return -1;
	}
	return 0;
}

/* functional_plugin_missing - the first of the space-separated plugins
   that is not in list, or NULL */
static const char *
functional_plugin_missing(const char *wanted, const char *const *list)
{
	const char *const *names = t_strsplit_spaces(wanted, " ,");

	for (; *names != NULL; names++) {
		if (!str_array_find(list, *names))
			return *names;
	}
	return NULL;
}

int functional_layer_session_check(const struct fa_settings *set,
				   struct auth_request *request,
				   const char **error_r)
{
	const struct mail_user_settings *user_set;
	const char *protocol = FUNCTIONAL_REQUEST_PROTOCOL(request);
	const char *missing, *error;
	struct event *event;
	int ret;

	if (set->session_mail_plugins[0] == '\0')
		return 0;
	/* the settings a mail process of this protocol, on these
	   addresses, starts with */
	event = event_create(NULL);
	event_add_str(event, "protocol", protocol);
	if (request->fields.local_ip.family != 0)
		event_add_ip(event, "local_ip", &request->fields.local_ip);
	if (request->fields.remote_ip.family != 0)
		event_add_ip(event, "remote_ip", &request->fields.remote_ip);
	ret = settings_get(event, functional_mail_user_info,
			   SETTINGS_GET_FLAG_NO_CHECK |
			   SETTINGS_GET_FLAG_NO_EXPAND, &user_set, &error);
	event_unref(&event);
	if (ret < 0) {
		*error_r = t_strdup_printf("mail settings for protocol %s: %s",
					   protocol, error);
		return -1;
	}
	missing = functional_plugin_missing(set->session_mail_plugins,
		array_is_created(&user_set->mail_plugins) ?
		settings_boollist_get(&user_set->mail_plugins) : empty_str_array);
	settings_free(user_set);
	if (missing != NULL) {
		*error_r = t_strdup_printf("mail_plugins for protocol %s lack "
			"%s, so the session could not be confined (Dovecot 2.4 "
			"cannot add plugins from the userdb: add `mail_plugins "
			"{ %s = yes }` for every protocol, see "
			"dovecot24-example.conf)", protocol, missing, missing);
		return -1;
	}
	return 0;
}

static int functional_context_get_event(struct event *event,
					struct functional_context **ctx_r,
					const char **error_r)
{
	const struct functional_auth_settings *set;
	int ret;

	if (settings_get(event, &functional_auth_setting_parser_info, 0,
			 &set, error_r) < 0)
		return -1;
	ret = functional_context_get(set->functional_config_file, ctx_r,
				     error_r);
	settings_free(set);
	return ret;
}

static int
functional_passdb_preinit(pool_t pool, struct event *event,
			  struct passdb_module **module_r, const char **error_r)
{
	const struct auth_passdb_settings *passdb_set;
	struct functional_passdb_module *module;
	bool master;

	if (settings_get(event, &auth_passdb_setting_parser_info, 0,
			 &passdb_set, error_r) < 0)
		return -1;
	master = passdb_set->master;
	settings_free(passdb_set);

	module = p_new(pool, struct functional_passdb_module, 1);
	if (functional_context_get_event(event, &module->ctx, error_r) < 0)
		return -1;
	module->module.default_cache_key = master ?
		FUNCTIONAL_MASTER_CACHE_KEY : FUNCTIONAL_CACHE_KEY;
	module->module.default_pass_scheme = "PLAIN";
	*module_r = &module->module;
	return 0;
}

static int
functional_userdb_preinit(pool_t pool, struct event *event,
			  struct userdb_module **module_r, const char **error_r)
{
	struct functional_userdb_module *module;

	module = p_new(pool, struct functional_userdb_module, 1);
	if (functional_mail_user_info_load(error_r) < 0 ||
	    functional_context_get_event(event, &module->ctx, error_r) < 0)
		return -1;
	/* no userdb caching: after our passdb's grant the reply is already
	   filled, and it carries one person's right */
	module->module.default_cache_key = NULL;
	*module_r = &module->module;
	return 0;
}

FUNCTIONAL_AUTHDB_MODULE(functional_passdb_preinit, functional_userdb_preinit)
