/* event-loop - struct fa_loop on libevent (see event-loop.h). */

#include "event-loop.h"
#include "policy-log.h"

#include <event2/event.h>
#include <stdlib.h>

struct event_loop {
	struct fa_loop loop;
	struct event_base *base;
};

struct fa_loop_io {
	struct event *event;
	fa_loop_callback_t *callback;
	void *context;
};

/* fa_loop timeouts fire once */
struct fa_loop_timeout {
	struct event *event;
	fa_loop_callback_t *callback;
	void *context;
};

static void *event_loop_alloc(size_t size)
{
	void *p = calloc(1, size);

	if (p == NULL)
		abort();
	return p;
}

static void event_loop_io_fired(evutil_socket_t fd, short what, void *arg)
{
	struct fa_loop_io *io = arg;

	(void)fd;
	(void)what;
	io->callback(io->context);
}

static struct fa_loop_io *
event_loop_io_add(struct fa_loop *_loop, int fd, bool want_write,
		  fa_loop_callback_t *callback, void *context)
{
	struct event_loop *loop = (struct event_loop *)_loop;
	struct fa_loop_io *io = event_loop_alloc(sizeof(*io));

	io->callback = callback;
	io->context = context;
	io->event = event_new(loop->base, fd,
			      (want_write ? EV_WRITE : EV_READ) | EV_PERSIST,
			      event_loop_io_fired, io);
	if (io->event == NULL || event_add(io->event, NULL) < 0)
		abort();
	return io;
}

static void event_loop_io_remove(struct fa_loop *loop, struct fa_loop_io **io_p,
				 bool closed)
{
	struct fa_loop_io *io = *io_p;

	(void)loop;
	/* an fd libldap already closed: libevent's epoll backend ignores
	   the EBADF of removing it */
	(void)closed;
	*io_p = NULL;
	event_free(io->event);
	free(io);
}

static void event_loop_timeout_fired(evutil_socket_t fd, short what, void *arg)
{
	struct fa_loop_timeout *timeout = arg;
	fa_loop_callback_t *callback = timeout->callback;
	void *context = timeout->context;

	(void)fd;
	(void)what;
	event_free(timeout->event);
	free(timeout);
	callback(context);
}

static struct fa_loop_timeout *
event_loop_timeout_add(struct fa_loop *_loop, unsigned int msecs,
		       fa_loop_callback_t *callback, void *context)
{
	struct event_loop *loop = (struct event_loop *)_loop;
	struct fa_loop_timeout *timeout = event_loop_alloc(sizeof(*timeout));
	struct timeval tv = {
		.tv_sec = msecs / 1000,
		.tv_usec = (msecs % 1000) * 1000,
	};

	timeout->callback = callback;
	timeout->context = context;
	timeout->event = evtimer_new(loop->base, event_loop_timeout_fired,
				     timeout);
	if (timeout->event == NULL || evtimer_add(timeout->event, &tv) < 0)
		abort();
	return timeout;
}

static void event_loop_timeout_remove(struct fa_loop *loop,
				      struct fa_loop_timeout **timeout_p)
{
	struct fa_loop_timeout *timeout = *timeout_p;

	(void)loop;
	*timeout_p = NULL;
	event_free(timeout->event);
	free(timeout);
}

static void event_loop_log(struct fa_loop *loop, enum fa_log_level level,
			   const char *message)
{
	(void)loop;
	policy_log(level, "%s", message);
}

struct fa_loop *event_loop_new(struct event_base *base)
{
	struct event_loop *loop = event_loop_alloc(sizeof(*loop));

	loop->base = base;
	loop->loop.io_add = event_loop_io_add;
	loop->loop.io_remove = event_loop_io_remove;
	loop->loop.timeout_add = event_loop_timeout_add;
	loop->loop.timeout_remove = event_loop_timeout_remove;
	loop->loop.log = event_loop_log;
	return &loop->loop;
}

void event_loop_free(struct fa_loop **loop_p)
{
	free(*loop_p);
	*loop_p = NULL;
}
