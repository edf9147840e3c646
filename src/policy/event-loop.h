#ifndef EVENT_LOOP_H
#define EVENT_LOOP_H

/* event-loop - struct fa_loop on libevent, as the Dovecot layer puts it
   on Dovecot's ioloop: the core's LDAP sockets and timeouts run on the
   policy server's own event_base, beside the Postfix connections. Log
   lines go to policy-log. */

#include "fa-loop.h"

struct event_base;

struct fa_loop *event_loop_new(struct event_base *base);
void event_loop_free(struct fa_loop **loop_p);

#endif
