#ifndef FAKE_LOOP_H
#define FAKE_LOOP_H

/* fake-loop - a struct fa_loop for unit tests, on a virtual clock.
   Timeouts run in order of their due time (then in the order they were
   added) and the clock jumps to each, so an answer that only comes at a
   timeout costs no real time and every run is the same. There are no
   fds: io_add aborts (the fake directory needs none). It also stands in
   for src/fa-clock.c: fa_clock_msecs() is the virtual time of the newest
   loop, so deadlines and cache ages follow the virtual clock too. */

#include "fa-loop.h"

#include <stdbool.h>

struct fake_loop;

struct fake_loop *fake_loop_new(void);
/* fake_loop_free - timeouts still pending are freed (and counted by
   fake_loop_pending() before, if the test cares) */
void fake_loop_free(struct fake_loop **loop_p);
struct fa_loop *fake_loop_fa(struct fake_loop *loop);

/* fake_loop_run - run timeouts until none is left */
void fake_loop_run(struct fake_loop *loop);
/* fake_loop_run_until - run the timeouts due at or before msecs (virtual
   time since the loop was made) */
void fake_loop_run_until(struct fake_loop *loop, unsigned long long msecs);

/* fake_loop_now - the virtual time, msecs */
unsigned long long fake_loop_now(const struct fake_loop *loop);
/* fake_loop_pending - timeouts added and neither run nor removed */
unsigned int fake_loop_pending(const struct fake_loop *loop);
/* fake_loop_log_count - log lines at level so far */
unsigned int fake_loop_log_count(const struct fake_loop *loop,
				 enum fa_log_level level);

#endif
