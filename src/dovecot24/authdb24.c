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

#include "layer.h"
#include "authdb.h"
#include "settings24.h"

/* cache keys, used by 2.4 exactly as given (nothing is appended, and
   single-letter variables do not exist: "%u" would be one constant key
   for every user). %{user} is the login as typed, which for person-first
   logins holds the target; a `master = yes` block (SASL authzid) sees the
   person as %{user} and the target as %{login_user}. */
#define FUNCTIONAL_CACHE_KEY "%{user}"
#define FUNCTIONAL_MASTER_CACHE_KEY "%{user}\t%{login_user}"

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
	if (functional_context_get_event(event, &module->ctx, error_r) < 0)
		return -1;
	/* no userdb caching: after our passdb's grant the reply is already
	   filled, and it carries one person's right */
	module->module.default_cache_key = NULL;
	*module_r = &module->module;
	return 0;
}

FUNCTIONAL_AUTHDB_MODULE(functional_passdb_preinit, functional_userdb_preinit)
