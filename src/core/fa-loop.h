#ifndef FA_LOOP_H
#define FA_LOOP_H

/* fa-loop - what the core needs from its host: an event loop to watch LDAP
   sockets and run timeouts, and a place for log lines. Dovecot's auth
   process provides its ioloop (dovecot-auth23.c); the CLI provides poll()
   (poll-loop.c). The core never blocks waiting for the directory. */

#include <stdbool.h>

struct fa_loop_io;
struct fa_loop_timeout;

typedef void fa_loop_callback_t(void *context);

enum fa_log_level {
	FA_LOG_DEBUG,
	FA_LOG_INFO,
	FA_LOG_WARNING,
	FA_LOG_ERROR,
};

struct fa_loop {
	/* call callback whenever fd is readable (or, with want_write,
	   writable: a non-blocking connect has finished), until removed */
	struct fa_loop_io *(*io_add)(struct fa_loop *loop, int fd,
				     bool want_write,
				     fa_loop_callback_t *callback,
				     void *context);
	/* closed: the fd was already closed (by libldap, after an error) */
	void (*io_remove)(struct fa_loop *loop, struct fa_loop_io **io_p,
			  bool closed);
	/* call callback once after msecs, unless removed first */
	struct fa_loop_timeout *(*timeout_add)(struct fa_loop *loop,
					       unsigned int msecs,
					       fa_loop_callback_t *callback,
					       void *context);
	void (*timeout_remove)(struct fa_loop *loop,
			       struct fa_loop_timeout **timeout_p);
	/* messages not tied to one login (connections, failover) */
	void (*log)(struct fa_loop *loop, enum fa_log_level level,
		    const char *message);
};

#endif
