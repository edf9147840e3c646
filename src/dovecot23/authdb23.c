/* authdb23 - the Dovecot 2.3 auth layer: passdb and userdb "functional"
   (dovecot/authdb.c) created from `args` (the plugin's config file) and
   registered with Dovecot 2.3's auth process. */

#include "auth-common.h"
#include "passdb.h"
#include "userdb.h"
#include "auth-request.h"

#include "layer.h"
#include "authdb.h"

/* cache key: the login as typed and the service. For person-first logins
   the login holds the target; a `master = yes` block (SASL authzid) must
   add the target with default_fields, which Dovecot 2.3 appends to the
   key: see functional_layer_master_cache_key_ok(). The service, because
   the same login is granted for IMAP and refused for SMTP
   (smtp_functional_logins): a cached IMAP grant must not answer SMTP. */
#define FUNCTIONAL_CACHE_KEY "%u\t%s"

static struct functional_context *functional_context_get_args(const char *args)
{
	struct functional_context *ctx;
	const char *error;

	if (functional_context_get(args, &ctx, &error) < 0)
		i_fatal("functional: %s", error);
	return ctx;
}

static struct passdb_module *
functional_passdb_preinit(pool_t pool, const char *args)
{
	struct functional_passdb_module *module;

	module = p_new(pool, struct functional_passdb_module, 1);
	module->ctx = functional_context_get_args(args);
	module->module.default_cache_key = FUNCTIONAL_CACHE_KEY;
	module->module.default_pass_scheme = "PLAIN";
	return &module->module;
}

static struct userdb_module *
functional_userdb_preinit(pool_t pool, const char *args)
{
	struct functional_userdb_module *module;

	module = p_new(pool, struct functional_userdb_module, 1);
	module->ctx = functional_context_get_args(args);
	/* no userdb caching: after our passdb's grant the reply is already
	   filled (caching it again costs every cached login a lookup and a
	   save, and the reply carries one person's right); other lookups
	   (LMTP, doveadm) reuse the search through lookup_cache_ttl */
	module->module.default_cache_key = NULL;
	return &module->module;
}

FUNCTIONAL_AUTHDB_MODULE(functional_passdb_preinit, functional_userdb_preinit)
