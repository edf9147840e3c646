/* poll-loop - struct fa_loop on poll(2) (see poll-loop.h). */

#include "poll-loop.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_LOOP_MAX 256

struct fa_loop_io {
	int fd;
	bool want_write;
	fa_loop_callback_t *callback;
	void *context;
	bool used;
};

struct fa_loop_timeout {
	long long when_msecs;
	fa_loop_callback_t *callback;
	void *context;
	bool used;
};

struct poll_loop {
	struct fa_loop loop;
	enum fa_log_level min_level;
	struct fa_loop_io ios[POLL_LOOP_MAX];
	struct fa_loop_timeout timeouts[POLL_LOOP_MAX];
};

static long long now_msecs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct fa_loop_io *
poll_io_add(struct fa_loop *_loop, int fd, bool want_write,
	    fa_loop_callback_t *callback, void *context)
{
	struct poll_loop *loop = (struct poll_loop *)_loop;
	unsigned int i;

	for (i = 0; i < POLL_LOOP_MAX; i++) {
		if (!loop->ios[i].used) {
			loop->ios[i] = (struct fa_loop_io){ fd, want_write,
							    callback, context,
							    true };
			return &loop->ios[i];
		}
	}
	abort();
}

static void poll_io_remove(struct fa_loop *loop, struct fa_loop_io **io_p,
			   bool closed)
{
	(void)loop;
	(void)closed;
	(*io_p)->used = false;
	*io_p = NULL;
}

static struct fa_loop_timeout *
poll_timeout_add(struct fa_loop *_loop, unsigned int msecs,
		 fa_loop_callback_t *callback, void *context)
{
	struct poll_loop *loop = (struct poll_loop *)_loop;
	unsigned int i;

	for (i = 0; i < POLL_LOOP_MAX; i++) {
		if (!loop->timeouts[i].used) {
			loop->timeouts[i] = (struct fa_loop_timeout){
				now_msecs() + msecs, callback, context, true };
			return &loop->timeouts[i];
		}
	}
	abort();
}

static void poll_timeout_remove(struct fa_loop *loop,
				struct fa_loop_timeout **timeout_p)
{
	(void)loop;
	(*timeout_p)->used = false;
	*timeout_p = NULL;
}

static void poll_log(struct fa_loop *_loop, enum fa_log_level level,
		     const char *message)
{
	struct poll_loop *loop = (struct poll_loop *)_loop;
	static const char *const names[] = {
		"debug", "info", "warning", "error"
	};

	if (level >= loop->min_level)
		fprintf(stderr, "%s: %s\n", names[level], message);
}

struct poll_loop *poll_loop_new(enum fa_log_level min_level)
{
	struct poll_loop *loop = calloc(1, sizeof(*loop));

	if (loop == NULL)
		abort();
	loop->min_level = min_level;
	loop->loop.io_add = poll_io_add;
	loop->loop.io_remove = poll_io_remove;
	loop->loop.timeout_add = poll_timeout_add;
	loop->loop.timeout_remove = poll_timeout_remove;
	loop->loop.log = poll_log;
	return loop;
}

void poll_loop_free(struct poll_loop **loop_p)
{
	free(*loop_p);
	*loop_p = NULL;
}

struct fa_loop *poll_loop_fa(struct poll_loop *loop)
{
	return &loop->loop;
}

/* poll_loop_run_timeouts - run the due timeouts; returns msecs to the
   next one, or -1 if none is pending */
static int poll_loop_run_timeouts(struct poll_loop *loop)
{
	long long now = now_msecs(), next = -1;
	struct fa_loop_timeout *to;
	unsigned int i;

	for (i = 0; i < POLL_LOOP_MAX; i++) {
		to = &loop->timeouts[i];
		if (!to->used)
			continue;
		if (to->when_msecs <= now) {
			to->used = false;
			to->callback(to->context);
			now = now_msecs();
			continue;
		}
		if (next < 0 || to->when_msecs - now < next)
			next = to->when_msecs - now;
	}
	/* a callback may have added a timeout behind the scan position */
	for (i = 0; i < POLL_LOOP_MAX; i++) {
		to = &loop->timeouts[i];
		if (to->used && (next < 0 || to->when_msecs - now < next))
			next = to->when_msecs <= now ? 0 : to->when_msecs - now;
	}
	return (int)next;
}

void poll_loop_run(struct poll_loop *loop, const bool *done)
{
	struct pollfd fds[POLL_LOOP_MAX];
	struct fa_loop_io *owners[POLL_LOOP_MAX];
	unsigned int i, n;
	int wait_msecs;

	while (!*done) {
		wait_msecs = poll_loop_run_timeouts(loop);
		if (*done)
			break;
		for (i = n = 0; i < POLL_LOOP_MAX; i++) {
			if (!loop->ios[i].used)
				continue;
			fds[n].fd = loop->ios[i].fd;
			fds[n].events = loop->ios[i].want_write ?
				POLLOUT : POLLIN;
			fds[n].revents = 0;
			owners[n++] = &loop->ios[i];
		}
		if (n == 0 && wait_msecs < 0)
			break;
		if (poll(fds, n, wait_msecs) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (fds[i].revents != 0 && owners[i]->used &&
			    owners[i]->fd == fds[i].fd)
				owners[i]->callback(owners[i]->context);
		}
	}
}
