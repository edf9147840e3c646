#ifndef POLL_LOOP_H
#define POLL_LOOP_H

/* poll-loop - a minimal struct fa_loop on poll(2), for command-line tools
   that drive the core outside Dovecot. Single-threaded. */

#include "fa-loop.h"

#include <stdbool.h>

struct poll_loop;

/* poll_loop_new - log lines at or above min_level go to stderr */
struct poll_loop *poll_loop_new(enum fa_log_level min_level);
void poll_loop_free(struct poll_loop **loop_p);
struct fa_loop *poll_loop_fa(struct poll_loop *loop);

/* poll_loop_run - run until *done is true or nothing is left to wait for */
void poll_loop_run(struct poll_loop *loop, const bool *done);

#endif
