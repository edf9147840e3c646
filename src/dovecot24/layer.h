#ifndef LAYER_H
#define LAYER_H

/* layer.h - the names the shared Dovecot code (dovecot/) takes from the
   Dovecot 2.4 layer */

#include "session-fields.h"

#define FUNCTIONAL_DIALECT SESSION_DIALECT_DOVECOT24
/* the protocol of a request (imap, pop3, smtp, ...) */
#define FUNCTIONAL_REQUEST_PROTOCOL(request) ((request)->fields.protocol)
#define FUNCTIONAL_CONFIG_HINT \
	"functional_config_file = /etc/dovecot/functional-accounts.conf " \
	"in the passdb and userdb blocks"
/* 2.4 uses a module's cache key as it is (authdb24.c sets it) */
#define FUNCTIONAL_MASTER_CACHE_KEY_HINT \
	"this module sets it itself, so this is a bug: please report it"

/* the block's own `fields { }`, which 2.4 leaves to each driver (applied
   before ours, so the plugin's fields win); -1 on error */
#define functional_layer_passdb_fields(request) \
	auth_request_set_passdb_fields(request, NULL)
#define functional_layer_userdb_fields(request) \
	auth_request_set_userdb_fields(request, NULL)

struct fa_settings;
struct auth_request;

/* functional_layer_session_check - 0 if the session of this request will
   run the plugins that confine it (session_mail_plugins, in the site's
   mail_plugins for the request's protocol: 2.4 cannot add them from the
   userdb), else -1 with error_r (authdb24.c) */
int functional_layer_session_check(const struct fa_settings *set,
				   struct auth_request *request,
				   const char **error_r);

#endif
