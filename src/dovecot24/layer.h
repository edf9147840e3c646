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

#endif
