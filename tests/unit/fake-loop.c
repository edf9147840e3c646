/* fake-loop - struct fa_loop on a virtual clock (see fake-loop.h). */

#include "fake-loop.h"
#include "fa-clock.h"

#include <stdio.h>
#include <stdlib.h>

/* a loop that keeps adding timeouts without end is a bug in the code
   under test: stop it instead of hanging the suite */
#define FAKE_LOOP_MAX_STEPS 1000000

struct fa_loop_timeout {
	struct fa_loop_timeout *next;
	unsigned long long when_msecs;
	unsigned long long seq;
	fa_loop_callback_t *callback;
	void *context;
};

struct fake_loop {
	struct fa_loop loop;
	unsigned long long now_msecs, next_seq;
	struct fa_loop_timeout *timeouts;
	unsigned int pending;
	unsigned int log_counts[FA_LOG_ERROR + 1];
};

static struct fa_loop_io *
fake_io_add(struct fa_loop *loop, int fd, bool want_write,
	    fa_loop_callback_t *callback, void *context)
{
	(void)loop; (void)fd; (void)want_write; (void)callback; (void)context;
	fprintf(stderr, "fake-loop: io_add called; the fake directory has "
		"no fds\n");
	abort();
}

static void fake_io_remove(struct fa_loop *loop, struct fa_loop_io **io_p,
			   bool closed)
{
	(void)loop; (void)io_p; (void)closed;
	abort();
}

static struct fa_loop_timeout *
fake_timeout_add(struct fa_loop *_loop, unsigned int msecs,
		 fa_loop_callback_t *callback, void *context)
{
	struct fake_loop *loop = (struct fake_loop *)_loop;
	struct fa_loop_timeout *to = calloc(1, sizeof(*to)), **p;

	if (to == NULL)
		abort();
	to->when_msecs = loop->now_msecs + msecs;
	to->seq = loop->next_seq++;
	to->callback = callback;
	to->context = context;
	/* sorted by (when, seq): new ones go after equal times */
	for (p = &loop->timeouts; *p != NULL; p = &(*p)->next) {
		if ((*p)->when_msecs > to->when_msecs)
			break;
	}
	to->next = *p;
	*p = to;
	loop->pending++;
	return to;
}

static void fake_timeout_remove(struct fa_loop *_loop,
				struct fa_loop_timeout **timeout_p)
{
	struct fake_loop *loop = (struct fake_loop *)_loop;
	struct fa_loop_timeout **p;

	for (p = &loop->timeouts; *p != NULL; p = &(*p)->next) {
		if (*p == *timeout_p) {
			*p = (*timeout_p)->next;
			free(*timeout_p);
			*timeout_p = NULL;
			loop->pending--;
			return;
		}
	}
	fprintf(stderr, "fake-loop: removing a timeout that is not "
		"pending (already run or removed)\n");
	abort();
}

static void fake_log(struct fa_loop *_loop, enum fa_log_level level,
		     const char *message)
{
	struct fake_loop *loop = (struct fake_loop *)_loop;

	(void)message;
	loop->log_counts[level]++;
}

/* the loop whose virtual time fa_clock_msecs() tells */
static struct fake_loop *clock_loop;

long long fa_clock_msecs(void)
{
	/* far from 0, as a monotonic clock would be */
	return 1000000 + (clock_loop == NULL ? 0 :
			  (long long)clock_loop->now_msecs);
}

struct fake_loop *fake_loop_new(void)
{
	struct fake_loop *loop = calloc(1, sizeof(*loop));

	if (loop == NULL)
		abort();
	loop->loop.io_add = fake_io_add;
	loop->loop.io_remove = fake_io_remove;
	loop->loop.timeout_add = fake_timeout_add;
	loop->loop.timeout_remove = fake_timeout_remove;
	loop->loop.log = fake_log;
	clock_loop = loop;
	return loop;
}

void fake_loop_free(struct fake_loop **loop_p)
{
	struct fake_loop *loop = *loop_p;
	struct fa_loop_timeout *to;

	if (loop == NULL)
		return;
	*loop_p = NULL;
	if (clock_loop == loop)
		clock_loop = NULL;
	while ((to = loop->timeouts) != NULL) {
		loop->timeouts = to->next;
		free(to);
	}
	free(loop);
}

struct fa_loop *fake_loop_fa(struct fake_loop *loop)
{
	return &loop->loop;
}

static void fake_loop_run_to(struct fake_loop *loop, bool bounded,
			     unsigned long long until)
{
	struct fa_loop_timeout *to;
	fa_loop_callback_t *callback;
	void *context;
	unsigned int steps = 0;

	while ((to = loop->timeouts) != NULL &&
	       (!bounded || to->when_msecs <= until)) {
		if (++steps > FAKE_LOOP_MAX_STEPS) {
			fprintf(stderr, "fake-loop: more than %u timeouts "
				"run: endless loop?\n", FAKE_LOOP_MAX_STEPS);
			abort();
		}
		loop->timeouts = to->next;
		loop->pending--;
		if (to->when_msecs > loop->now_msecs)
			loop->now_msecs = to->when_msecs;
		callback = to->callback;
		context = to->context;
		free(to);
		callback(context);
	}
	if (bounded && until > loop->now_msecs)
		loop->now_msecs = until;
}

void fake_loop_run(struct fake_loop *loop)
{
	fake_loop_run_to(loop, false, 0);
}

void fake_loop_run_until(struct fake_loop *loop, unsigned long long msecs)
{
	fake_loop_run_to(loop, true, msecs);
}

unsigned long long fake_loop_now(const struct fake_loop *loop)
{
	return loop->now_msecs;
}

unsigned int fake_loop_pending(const struct fake_loop *loop)
{
	return loop->pending;
}

unsigned int fake_loop_log_count(const struct fake_loop *loop,
				 enum fa_log_level level)
{
	return loop->log_counts[level];
}
