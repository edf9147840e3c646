/* functional-policy - Postfix policy service: may the SMTP login
   (sasl_username) send as the envelope sender? It asks the same lookup
   and decision as the IMAP login (fa_lookup_send_as(), send_min_right),
   from the same config file, and answers OK, DUNNO (not a functional
   account), REJECT 5.7.1 or 451 4.3.0 (directory trouble).

   Runs one connection on stdin/stdout under Postfix's spawn(8), or, with
   -s, as a daemon serving many connections on one libevent loop: SIGHUP
   re-reads the config (a bad one keeps the old), SIGTERM exits. One
   request is answered at a time per connection: while a lookup runs the
   connection is not read, so no client can queue up work or memory. */

#define _GNU_SOURCE /* accept4 */

#include "fa-settings.h"
#include "fa-lookup.h"
#include "policy-request.h"
#include "event-loop.h"
#include "policy-log.h"
#include "arena.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#define DEFAULT_CONFIG "/etc/dovecot/functional-accounts.conf"
#define DEFAULT_MAX_CONNECTIONS 256
#define DEFAULT_IDLE_SECONDS 330
#define POLICY_READ_CHUNK 4096

/* one generation of settings; connections whose lookup runs keep theirs
   alive across a reload */
struct policy_config {
	struct fa_settings *set;
	struct fa_context *fa;
	unsigned int refcount;
};

struct policy_conn {
	struct policy_server *server;
	struct policy_conn *prev, *next;
	int in_fd, out_fd;
	struct event *read_event, *write_event, *idle_event;

	char *in;
	size_t in_len, in_size;
	struct policy_frame frame;

	/* the answer being written */
	char *out;
	size_t out_len, out_pos;
	bool close_after_write;

	/* the request being decided */
	struct arena arena;
	struct policy_request request;
	struct fa_lookup *lookup;
	struct policy_config *config;
};

struct policy_server {
	struct event_base *base;
	struct fa_loop *loop;
	const char *config_path;
	struct policy_config *config;
	unsigned int idle_seconds;
	unsigned int max_connections;
	unsigned int connection_count;
	struct policy_conn *conns;
	int listen_fd;
	const char *socket_path;
	struct event *listen_event;
	/* spawn mode: the one connection on stdin/stdout */
	bool single;
};

static void conn_process(struct policy_conn *conn);
static void conn_close(struct policy_conn *conn);
static void conn_idle_reset(struct policy_conn *conn);

static void *policy_alloc(size_t size)
{
	void *p = calloc(1, size);

	if (p == NULL)
		abort();
	return p;
}

/* --- settings generations --- */

static struct policy_config *policy_config_read(struct policy_server *server,
						const char **error_r)
{
	struct policy_config *config;
	struct fa_settings *set;

	if (fa_settings_read(server->config_path, &set, error_r) < 0)
		return NULL;
	config = policy_alloc(sizeof(*config));
	config->set = set;
	config->fa = fa_context_init(set, server->loop);
	config->refcount = 1;
	return config;
}

static void policy_config_free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct policy_config *config = arg;

	(void)fd;
	(void)what;
	fa_context_deinit(&config->fa);
	fa_settings_free(&config->set);
	free(config);
}

/* policy_config_unref - the last reference frees the context from the
   loop: it may be dropped inside one of the context's own callbacks */
static void policy_config_unref(struct policy_server *server,
				struct policy_config **config_p)
{
	struct policy_config *config = *config_p;
	struct timeval now = { 0, 0 };

	*config_p = NULL;
	if (config == NULL || --config->refcount > 0)
		return;
	if (event_base_once(server->base, -1, EV_TIMEOUT,
			    policy_config_free_cb, config, &now) < 0)
		abort();
}

/* --- answers --- */

/* conn_flush - write the pending answer: 1 written (the next request may
   be read), 0 waiting for the socket, -1 the connection is closed (and
   freed). Never processes the next request itself: conn_process() loops,
   so that pipelined requests do not nest calls. */
static int conn_flush(struct policy_conn *conn)
{
	ssize_t ret;

	while (conn->out_pos < conn->out_len) {
		ret = write(conn->out_fd, conn->out + conn->out_pos,
			    conn->out_len - conn->out_pos);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			event_add(conn->write_event, NULL);
			return 0;
		}
		if (ret <= 0) {
			conn_close(conn);
			return -1;
		}
		conn->out_pos += ret;
	}
	event_del(conn->write_event);
	free(conn->out);
	conn->out = NULL;
	conn->out_len = conn->out_pos = 0;
	if (conn->close_after_write) {
		conn_close(conn);
		return -1;
	}
	return 1;
}

/* conn_answer - queue answer and write it; as conn_flush() */
static int conn_answer(struct policy_conn *conn, const char *answer)
{
	conn->out = strdup(answer);
	if (conn->out == NULL)
		abort();
	conn->out_len = strlen(answer);
	conn->out_pos = 0;
	arena_free(&conn->arena);
	arena_init(&conn->arena, 1024);
	return conn_flush(conn);
}

static const char *conn_client(const struct policy_conn *conn)
{
	const char *client = conn->request.client_address;

	return client != NULL && client[0] != '\0' ? client : "-";
}

static const char *conn_queue_id(const struct policy_conn *conn)
{
	const char *queue_id = conn->request.queue_id;

	return queue_id != NULL && queue_id[0] != '\0' ? queue_id : "-";
}

static void conn_lookup_callback(const struct fa_result *result, void *context)
{
	struct policy_conn *conn = context;
	const struct policy_request *request = &conn->request;
	unsigned int i;

	conn->lookup = NULL;
	for (i = 0; i < result->trace_count; i++)
		policy_log(FA_LOG_DEBUG, "%s", result->trace[i]);
	if (result->status == FA_GRANTED) {
		/* the audit line */
		policy_log(FA_LOG_INFO, "send-as granted: %s as %s by %s "
			   "(right %s, client=%s, queue_id=%s)",
			   result->person_name, result->target_name,
			   result->decision.rule,
			   acl_right_name(result->decision.right),
			   conn_client(conn), conn_queue_id(conn));
	} else if (result->status == FA_UNKNOWN_TARGET) {
		policy_log(FA_LOG_DEBUG, "send-as: %s is not a functional "
			   "account: DUNNO", request->sender);
	} else {
		policy_log(result->status == FA_TEMPFAIL ? FA_LOG_ERROR :
			   FA_LOG_INFO, "send-as %s: %s as %s: %s "
			   "(client=%s, queue_id=%s)",
			   policy_verdict_name(result->status),
			   request->sasl_username, request->sender,
			   result->reason, conn_client(conn),
			   conn_queue_id(conn));
	}
	policy_config_unref(conn->server, &conn->config);
	if (conn_answer(conn, policy_answer(&conn->arena, request,
					    result->status)) > 0)
		conn_process(conn);
}

/* --- requests --- */

/* conn_request - answer or start deciding one whole request of size
   bytes: as conn_flush(), 0 also while a lookup runs */
static int conn_request(struct policy_conn *conn, size_t size)
{
	struct policy_server *server = conn->server;
	struct policy_request *request = &conn->request;

	policy_request_parse(&conn->arena, conn->in, size, request);
	memmove(conn->in, conn->in + size, conn->in_len - size);
	conn->in_len -= size;
	policy_frame_init(&conn->frame);

	switch (policy_request_question(request)) {
	case POLICY_QUESTION_MALFORMED:
		policy_log(FA_LOG_WARNING, "malformed policy request: %s",
			   request->malformed);
		return conn_answer(conn, POLICY_ANSWER_MALFORMED);
	case POLICY_QUESTION_NONE:
		return conn_answer(conn, POLICY_ANSWER_DUNNO);
	case POLICY_QUESTION_SEND_AS:
		break;
	}
	conn->config = server->config;
	conn->config->refcount++;
	conn->lookup = fa_lookup_send_as(conn->config->fa,
					 request->sasl_username,
					 request->sender, policy_log_debug(),
					 conn_lookup_callback, conn);
	return 0;
}

/* conn_process - answer the whole requests in the buffer, one after the
   other, until one waits (for its lookup or the socket) or more input is
   needed */
static void conn_process(struct policy_conn *conn)
{
	const char *error;
	size_t size;

	while (conn->lookup == NULL && conn->out == NULL) {
		switch (policy_frame_scan(&conn->frame, conn->in, conn->in_len,
					  &size, &error)) {
		case POLICY_FRAME_MORE:
			event_add(conn->read_event, NULL);
			return;
		case POLICY_FRAME_BROKEN:
			policy_log(FA_LOG_WARNING, "closing a policy "
				   "connection: %s", error);
			event_del(conn->read_event);
			conn->close_after_write = true;
			(void)conn_answer(conn, POLICY_ANSWER_MALFORMED);
			return;
		case POLICY_FRAME_REQUEST:
			break;
		}
		/* one request at a time: no reading until it is answered;
		   the idle clock counts from the last whole request, so a
		   client dripping bytes cannot hold a connection slot */
		event_del(conn->read_event);
		conn_idle_reset(conn);
		if (conn_request(conn, size) < 0)
			return;
	}
}

static void conn_idle_reset(struct policy_conn *conn)
{
	struct timeval tv = { conn->server->idle_seconds, 0 };

	evtimer_add(conn->idle_event, &tv);
}

static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct policy_conn *conn = arg;
	ssize_t ret;

	(void)fd;
	(void)what;
	if (conn->in_size - conn->in_len < POLICY_READ_CHUNK &&
	    conn->in_size <= POLICY_REQUEST_MAX) {
		conn->in_size *= 2;
		conn->in = realloc(conn->in, conn->in_size);
		if (conn->in == NULL)
			abort();
	}
	ret = read(conn->in_fd, conn->in + conn->in_len,
		   conn->in_size - conn->in_len);
	if (ret < 0 && (errno == EINTR || errno == EAGAIN ||
			errno == EWOULDBLOCK))
		return;
	if (ret <= 0) {
		if (ret < 0)
			policy_log(FA_LOG_WARNING, "reading a policy "
				   "connection: %s", strerror(errno));
		conn_close(conn);
		return;
	}
	conn->in_len += ret;
	conn_process(conn);
}

static void conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	if (conn_flush(arg) > 0)
		conn_process(arg);
}

static void conn_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct policy_conn *conn = arg;

	(void)fd;
	(void)what;
	if (conn->lookup != NULL) {
		/* bounded by ldap_timeout; its answer resets the clock */
		conn_idle_reset(conn);
		return;
	}
	policy_log(FA_LOG_DEBUG, "closing a policy connection idle for %u s",
		   conn->server->idle_seconds);
	conn_close(conn);
}

static int set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static void conn_new(struct policy_server *server, int in_fd, int out_fd)
{
	struct policy_conn *conn = policy_alloc(sizeof(*conn));

	conn->server = server;
	conn->in_fd = in_fd;
	conn->out_fd = out_fd;
	conn->in_size = POLICY_READ_CHUNK;
	conn->in = malloc(conn->in_size);
	if (conn->in == NULL)
		abort();
	arena_init(&conn->arena, 1024);
	policy_frame_init(&conn->frame);
	(void)set_nonblock(in_fd);
	(void)set_nonblock(out_fd);
	conn->read_event = event_new(server->base, in_fd, EV_READ | EV_PERSIST,
				     conn_read_cb, conn);
	conn->write_event = event_new(server->base, out_fd,
				      EV_WRITE | EV_PERSIST, conn_write_cb,
				      conn);
	conn->idle_event = evtimer_new(server->base, conn_idle_cb, conn);
	if (conn->read_event == NULL || conn->write_event == NULL ||
	    conn->idle_event == NULL)
		abort();
	conn->next = server->conns;
	if (server->conns != NULL)
		server->conns->prev = conn;
	server->conns = conn;
	server->connection_count++;
	event_add(conn->read_event, NULL);
	conn_idle_reset(conn);
}

static void conn_close(struct policy_conn *conn)
{
	struct policy_server *server = conn->server;

	fa_lookup_abort(&conn->lookup);
	policy_config_unref(server, &conn->config);
	event_free(conn->read_event);
	event_free(conn->write_event);
	event_free(conn->idle_event);
	close(conn->in_fd);
	if (conn->out_fd != conn->in_fd)
		close(conn->out_fd);
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		server->conns = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	server->connection_count--;
	arena_free(&conn->arena);
	free(conn->in);
	free(conn->out);
	free(conn);
	if (server->single)
		event_base_loopbreak(server->base);
}

/* --- the listener and signals --- */

static void listen_cb(evutil_socket_t fd, short what, void *arg)
{
	struct policy_server *server = arg;
	int client;

	(void)what;
	client = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (client < 0) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			policy_log(FA_LOG_ERROR, "accept: %s", strerror(errno));
		return;
	}
	if (server->connection_count >= server->max_connections) {
		policy_log(FA_LOG_WARNING, "connection limit %u reached: "
			   "closing a new connection (raise -n, or lower the "
			   "policy service's process limit in master.cf)",
			   server->max_connections);
		close(client);
		return;
	}
	conn_new(server, client, client);
}

static int listen_unix(const char *path, mode_t mode)
{
	union {
		struct sockaddr sa;
		struct sockaddr_un un;
	} addr;
	struct stat st;
	int fd;

	memset(&addr, 0, sizeof(addr));
	addr.un.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr.un.sun_path)) {
		fprintf(stderr, "socket path too long: %s\n", path);
		return -1;
	}
	strcpy(addr.un.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		/* a socket someone still serves is not stale */
		if (connect(fd, &addr.sa, sizeof(addr.un)) == 0 ||
		    errno == EAGAIN) {
			fprintf(stderr, "%s: another process serves this "
				"socket\n", path);
			close(fd);
			return -1;
		}
		(void)unlink(path);
		close(fd);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -1;
	}
	if (bind(fd, &addr.sa, sizeof(addr.un)) < 0 ||
	    chmod(path, mode) < 0 || listen(fd, 128) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void sighup_cb(evutil_socket_t fd, short what, void *arg)
{
	struct policy_server *server = arg;
	struct policy_config *config;
	const char *error;

	(void)fd;
	(void)what;
	config = policy_config_read(server, &error);
	if (config == NULL) {
		policy_log(FA_LOG_ERROR, "reload failed, keeping the running "
			   "settings: %s", error);
		return;
	}
	policy_config_unref(server, &server->config);
	server->config = config;
	policy_log(FA_LOG_INFO, "reloaded %s", server->config_path);
}

static void sigterm_cb(evutil_socket_t fd, short what, void *arg)
{
	struct policy_server *server = arg;

	(void)fd;
	(void)what;
	policy_log(FA_LOG_INFO, "stopping");
	event_base_loopbreak(server->base);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: functional-policy [-c CONFIG] [-s SOCKET [-m MODE]]\n"
		"         [-l syslog|stderr|FILE] [-n MAX_CONNECTIONS]\n"
		"         [-t IDLE_SECONDS] [-d]\n"
		"Postfix policy service: may sasl_username send as sender?\n"
		"Without -s it serves one connection on stdin/stdout (spawn).\n"
		"CONFIG defaults to " DEFAULT_CONFIG ".\n");
	exit(64);
}

static unsigned int parse_uint(const char *arg, unsigned int min,
			       unsigned int max, int base)
{
	unsigned long value;
	char *end;

	errno = 0;
	value = strtoul(arg, &end, base);
	if (errno != 0 || end == arg || *end != '\0' || value < min ||
	    value > max)
		usage();
	return (unsigned int)value;
}

int main(int argc, char *argv[])
{
	struct policy_server server;
	const char *log_target = "syslog", *error;
	struct event *sig_hup, *sig_term, *sig_int;
	mode_t mode = 0660;
	bool debug = false;
	int opt, status = 0;

	memset(&server, 0, sizeof(server));
	server.config_path = DEFAULT_CONFIG;
	server.max_connections = DEFAULT_MAX_CONNECTIONS;
	server.idle_seconds = DEFAULT_IDLE_SECONDS;
	server.listen_fd = -1;
	while ((opt = getopt(argc, argv, "c:s:m:l:n:t:dh")) != -1) {
		switch (opt) {
		case 'c':
			server.config_path = optarg;
			break;
		case 's':
			server.socket_path = optarg;
			break;
		case 'm':
			mode = parse_uint(optarg, 0, 0777, 8);
			break;
		case 'l':
			log_target = optarg;
			break;
		case 'n':
			server.max_connections = parse_uint(optarg, 1, 65536,
							    10);
			break;
		case 't':
			server.idle_seconds = parse_uint(optarg, 1, 86400, 10);
			break;
		case 'd':
			debug = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (policy_log_open(log_target, debug) < 0) {
		fprintf(stderr, "%s: %s\n", log_target, strerror(errno));
		return 1;
	}
	/* a Postfix that went away must not kill us with SIGPIPE */
	signal(SIGPIPE, SIG_IGN);

	server.base = event_base_new();
	if (server.base == NULL)
		abort();
	server.loop = event_loop_new(server.base);
	server.config = policy_config_read(&server, &error);
	if (server.config == NULL) {
		policy_log(FA_LOG_ERROR, "config error: %s", error);
		if (server.socket_path != NULL)
			fprintf(stderr, "config error: %s\n", error);
		event_loop_free(&server.loop);
		event_base_free(server.base);
		return 64;
	}
	sig_hup = evsignal_new(server.base, SIGHUP, sighup_cb, &server);
	sig_term = evsignal_new(server.base, SIGTERM, sigterm_cb, &server);
	sig_int = evsignal_new(server.base, SIGINT, sigterm_cb, &server);
	if (sig_hup == NULL || sig_term == NULL || sig_int == NULL ||
	    event_add(sig_hup, NULL) < 0 || event_add(sig_term, NULL) < 0 ||
	    event_add(sig_int, NULL) < 0)
		abort();

	if (server.socket_path == NULL) {
		server.single = true;
		server.max_connections = 1;
		conn_new(&server, STDIN_FILENO, STDOUT_FILENO);
	} else {
		server.listen_fd = listen_unix(server.socket_path, mode);
		if (server.listen_fd < 0)
			status = 1;
	}
	if (server.listen_fd >= 0) {
		server.listen_event = event_new(server.base, server.listen_fd,
						EV_READ | EV_PERSIST, listen_cb,
						&server);
		if (server.listen_event == NULL ||
		    event_add(server.listen_event, NULL) < 0)
			abort();
		policy_log(FA_LOG_INFO, "serving %s with %s",
			   server.socket_path, server.config_path);
	}
	if (status == 0)
		event_base_dispatch(server.base);

	if (server.listen_event != NULL) {
		event_free(server.listen_event);
		close(server.listen_fd);
		(void)unlink(server.socket_path);
	}
	server.single = false;
	while (server.conns != NULL)
		conn_close(server.conns);
	policy_config_unref(&server, &server.config);
	/* run the frees policy_config_unref() scheduled */
	event_base_loop(server.base, EVLOOP_NONBLOCK);
	event_free(sig_hup);
	event_free(sig_term);
	event_free(sig_int);
	event_loop_free(&server.loop);
	event_base_free(server.base);
	return status;
}
