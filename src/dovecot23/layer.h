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

#endif
