#ifndef AUTHDB_H
#define AUTHDB_H

/* authdb - passdb and userdb "functional" as both Dovecot versions run
   them (authdb.c); each version's layer creates the modules and
   registers these functions. */

struct functional_context;

#define FUNCTIONAL_CONFIG_MISSING \
	"the plugin's config file is not named (" FUNCTIONAL_CONFIG_HINT ")"

struct functional_passdb_module {
	struct passdb_module module;
	struct functional_context *ctx;
};

struct functional_userdb_module {
	struct userdb_module module;
	struct functional_context *ctx;
};

/* functional_context_get - the context of the config file at path, read
   and checked the first time (one per file, shared by every passdb and
   userdb naming it); -1 with error_r ("path:line: reason") */
int functional_context_get(const char *path, struct functional_context **ctx_r,
			   const char **error_r);
void functional_context_init(struct functional_context *ctx);
void functional_context_unref(struct functional_context **ctx_p);

void functional_passdb_init(struct passdb_module *module);
void functional_passdb_deinit(struct passdb_module *module);
void functional_verify_plain(struct auth_request *request,
			     const char *password,
			     verify_plain_callback_t *callback);

void functional_userdb_init(struct userdb_module *module);
void functional_userdb_deinit(struct userdb_module *module);
void functional_userdb_lookup(struct auth_request *request,
			      userdb_callback_t *callback);

/* FUNCTIONAL_AUTHDB_MODULE - the module's interfaces and entry points
   (authdb_functional_*), given the version's preinit functions */
#define FUNCTIONAL_AUTHDB_MODULE(passdb_preinit_func, userdb_preinit_func) \
static struct passdb_module_interface functional_passdb_iface = { \
	.name = "functional", \
	.preinit = passdb_preinit_func, \
	.init = functional_passdb_init, \
	.deinit = functional_passdb_deinit, \
	.verify_plain = functional_verify_plain, \
}; \
static struct userdb_module_interface functional_userdb_iface = { \
	.name = "functional", \
	.preinit = userdb_preinit_func, \
	.init = functional_userdb_init, \
	.deinit = functional_userdb_deinit, \
	.lookup = functional_userdb_lookup, \
}; \
void authdb_functional_init(void); \
void authdb_functional_deinit(void); \
extern const char *authdb_functional_version; \
const char *authdb_functional_version = DOVECOT_ABI_VERSION; \
void authdb_functional_init(void) \
{ \
	passdb_register_module(&functional_passdb_iface); \
	userdb_register_module(&functional_userdb_iface); \
} \
void authdb_functional_deinit(void) \
{ \
	passdb_unregister_module(&functional_passdb_iface); \
	userdb_unregister_module(&functional_userdb_iface); \
}

#endif
