#ifndef SESSION_MODULE_H
#define SESSION_MODULE_H

/* session-module - the entry points of the functional_session mail plugin
   (lib00_functional_session_plugin.so), the same on Dovecot 2.3 and 2.4:
   one mail_user_created hook, from the version's session file */

#define FUNCTIONAL_SESSION_MODULE(mail_user_created_func) \
const char *functional_session_plugin_version = DOVECOT_ABI_VERSION; \
void functional_session_plugin_init(struct module *module); \
void functional_session_plugin_deinit(void); \
static struct mail_storage_hooks functional_session_mail_storage_hooks = { \
	.mail_user_created = mail_user_created_func, \
}; \
void functional_session_plugin_init(struct module *module) \
{ \
	mail_storage_hooks_add(module, \
			       &functional_session_mail_storage_hooks); \
} \
void functional_session_plugin_deinit(void) \
{ \
	mail_storage_hooks_remove(&functional_session_mail_storage_hooks); \
}

#endif
