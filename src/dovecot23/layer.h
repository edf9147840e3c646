#ifndef LAYER_H
#define LAYER_H

/* layer.h - the names the shared Dovecot code (dovecot/) takes from the
   Dovecot 2.3 layer */

#include "session-fields.h"

#define FUNCTIONAL_DIALECT SESSION_DIALECT_DOVECOT23
/* the protocol of a request (imap, pop3, smtp, ...) */
#define FUNCTIONAL_REQUEST_PROTOCOL(request) ((request)->fields.service)
#define FUNCTIONAL_CONFIG_HINT \
	"args = /etc/dovecot/functional-accounts.conf"
/* how a `master = yes` passdb gets the target into its cache key:
   Dovecot 2.3 appends default_fields to the key */
#define FUNCTIONAL_MASTER_CACHE_KEY_HINT \
	"add `default_fields = functional_sasl_target=%{login_user}` to it " \
	"(see dovecot-example.conf)"

/* the block's own fields: 2.3's core applies default_fields and
   override_fields itself */
#define functional_layer_passdb_fields(request) 0
#define functional_layer_userdb_fields(request) 0

/* may a functional session of this request be opened? 2.3 always: its
   userdb reply adds the plugins that confine it (session_mail_plugins) */
#define functional_layer_session_check(set, request, error_r) 0

#endif
