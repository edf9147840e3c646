/* ldap-pool - asynchronous LDAP over reused connections (see ldap-pool.h).

   Connects are non-blocking too (libldap's CONNECT_ASYNC; the host's loop
   says when the socket is writable), one URI at a time: a URI that refuses,
   or does not connect and bind within ldap_timeout, hands over to the next.
   When every URI has failed, new connects wait a second, and operations
   fail at once as temporary failures instead of queueing. StartTLS is
   asked for and answered through the loop. What libldap can only do
   blocking runs on a thread of its own (ldap-job.h): ldap_connect(), with
   its host-name lookup and, for ldaps://, the TLS handshake, and the
   StartTLS handshake; the loop is told when it is done, and ldap_timeout
   still bounds the whole connect. */

#include "ldap-pool.h"
#include "fa-settings.h"
#include "arena.h"
#include "fa-clock.h"
#include "ldap-job.h"

#include <errno.h>
#include <ldap.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LDAP_POOL_RECONNECT_MSECS 1000
/* searches in flight on one connection before new ones queue */
#define LDAP_CONN_MAX_PENDING 128
/* bounds on what a server may send back for one entry: beyond them the
   answer fails rather than being cut short */
#define LDAP_MAX_ATTRS 256
#define LDAP_MAX_VALUES 100000

enum ldap_conn_state {
	LDAP_CONN_DOWN,
	/* TCP connect in flight */
	LDAP_CONN_CONNECTING,
	/* connected, StartTLS request in flight */
	LDAP_CONN_STARTTLS,
	/* connected, service bind in flight */
	LDAP_CONN_BINDING,
	LDAP_CONN_READY,
};

enum ldap_op_type {
	LDAP_OP_SEARCH,
	LDAP_OP_BIND,
};

/* FIFO of operations; O(1) append and removal */
struct op_list {
	struct ldap_op *head, *tail;
};

struct ldap_conn {
	struct ldap_pool *pool;
	LDAP *ld;
	enum ldap_conn_state state;
	/* for person binds only, never for searches */
	bool for_binds;
	/* the StartTLS request, then the service bind */
	int service_bind_msgid;
	/* watches the socket: writable while connecting, then readable */
	struct fa_loop_io *io;
	int fd;
	/* bounds connect plus service bind */
	struct fa_loop_timeout *connect_timeout;
	/* a blocking libldap call on its thread (ldap-job.h): connect or
	   StartTLS handshake; ld is the job's while it runs */
	struct ldap_job *job;
	struct fa_loop_io *job_io;
	/* the URI this connection uses */
	const char *uri;
	/* operations sent on this connection */
	struct op_list ops;
	unsigned int pending;
};

struct ldap_op {
	struct ldap_pool *pool;
	enum ldap_op_type type;
	/* NULL while queued */
	struct ldap_conn *conn;
	int msgid;
	struct ldap_op *prev, *next;

	struct arena *arena;
	const char *base, *filter;
	enum ldap_pool_scope scope;
	const char *const *attrs;
	int size_limit;
	struct ldap_entry *entries;
	unsigned int entry_count;
	/* why the answer cannot be trusted as complete; NULL if it can */
	const char *incomplete;

	const char *dn;
	char *password;

	struct fa_loop_timeout *timeout;
	unsigned int timeout_msecs;
	/* already re-sent once after its connection was lost */
	bool retried;
	/* set when the result is delivered from a 0 ms timeout, so that no
	   callback ever runs inside the call that started the operation */
	bool late;
	enum ldap_op_result late_result;
	char late_error[256];

	ldap_search_callback_t *search_callback;
	ldap_bind_callback_t *bind_callback;
	void *context;
};

struct ldap_pool {
	const struct fa_settings *set;
	struct fa_loop *loop;
	struct ldap_conn *search_conns, *bind_conns;
	/* operations waiting for a ready connection, oldest first */
	struct op_list search_queue, bind_queue;
	/* ldap_uris, split; the one new connections use; failures in a row */
	char **uris;
	unsigned int uri_count, uri_index, uris_failed;
	/* when every URI had failed, in monotonic msecs; 0 if not */
	long long connect_failed_at;
	bool shutting_down;
	/* operations whose result waits for a 0 ms timeout */
	struct op_list late_ops;
};

static void ldap_conn_input(void *context);
static void ldap_pool_dispatch(struct ldap_pool *pool);

static void pool_log(struct ldap_pool *pool, enum fa_log_level level,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void pool_log(struct ldap_pool *pool, enum fa_log_level level,
		     const char *fmt, ...)
{
	char buf[512];
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	pool->loop->log(pool->loop, level, buf);
}

static void op_list_add(struct op_list *list, struct ldap_op *op)
{
	op->next = NULL;
	op->prev = list->tail;
	if (list->tail != NULL)
		list->tail->next = op;
	else
		list->head = op;
	list->tail = op;
}

static void op_list_remove(struct op_list *list, struct ldap_op *op)
{
	if (op->prev != NULL)
		op->prev->next = op->next;
	else
		list->head = op->next;
	if (op->next != NULL)
		op->next->prev = op->prev;
	else
		list->tail = op->prev;
	op->prev = op->next = NULL;
}

static struct op_list *op_home_list(struct ldap_op *op)
{
	if (op->conn != NULL)
		return &op->conn->ops;
	return op->type == LDAP_OP_SEARCH ?
		&op->pool->search_queue : &op->pool->bind_queue;
}

static void op_free(struct ldap_op *op)
{
	if (op->timeout != NULL)
		op->pool->loop->timeout_remove(op->pool->loop, &op->timeout);
	if (op->password != NULL) {
		memset(op->password, 0, strlen(op->password));
		free(op->password);
	}
	free(op);
}

/* op_detach - take op off whatever list holds it */
static void op_detach(struct ldap_op *op)
{
	if (op->late) {
		op_list_remove(&op->pool->late_ops, op);
		return;
	}
	op_list_remove(op_home_list(op), op);
	if (op->conn != NULL) {
		op->conn->pending--;
		op->conn = NULL;
	}
}

static void op_finish(struct ldap_op *op, enum ldap_op_result result,
		      const char *error)
{
	op_detach(op);
	if (op->timeout != NULL)
		op->pool->loop->timeout_remove(op->pool->loop, &op->timeout);
	if (op->type == LDAP_OP_SEARCH)
		op->search_callback(result, error, op->entries,
				    op->entry_count, op->context);
	else
		op->bind_callback(result, error, op->context);
	op_free(op);
}

static void op_late_timeout(void *context)
{
	struct ldap_op *op = context;

	op->timeout = NULL;
	op_finish(op, op->late_result, op->late_error);
}

/* op_finish_later - end op from the loop; for results known at once */
static void op_finish_later(struct ldap_op *op, enum ldap_op_result result,
			    const char *error)
{
	op_detach(op);
	if (op->timeout != NULL)
		op->pool->loop->timeout_remove(op->pool->loop, &op->timeout);
	op->late = true;
	op->late_result = result;
	snprintf(op->late_error, sizeof(op->late_error), "%s", error);
	op_list_add(&op->pool->late_ops, op);
	op->timeout = op->pool->loop->timeout_add(op->pool->loop, 0,
						  op_late_timeout, op);
}

static void ldap_conn_disconnect(struct ldap_conn *conn, const char *reason)
{
	struct ldap_pool *pool = conn->pool;
	struct ldap_op *op;

	if (conn->connect_timeout != NULL)
		pool->loop->timeout_remove(pool->loop, &conn->connect_timeout);
	if (conn->job != NULL) {
		/* the thread still uses ld: it is the job's to unbind */
		pool->loop->io_remove(pool->loop, &conn->job_io, false);
		ldap_job_abandon(&conn->job);
		conn->ld = NULL;
	}
	if (conn->io != NULL) {
		int fd = -1;

		/* after a read error libldap may have closed the socket */
		if (conn->ld != NULL)
			(void)ldap_get_option(conn->ld, LDAP_OPT_DESC, &fd);
		pool->loop->io_remove(pool->loop, &conn->io, fd != conn->fd);
	}
	if (conn->ld != NULL) {
		ldap_unbind_ext(conn->ld, NULL, NULL);
		conn->ld = NULL;
	}
	conn->state = LDAP_CONN_DOWN;
	while ((op = conn->ops.head) != NULL) {
		if (op->retried || pool->shutting_down) {
			op_finish_later(op, LDAP_OP_TEMPFAIL, reason);
			continue;
		}
		/* a connection the server closed while idle is noticed only
		   when used: send its operations once more on a fresh one
		   (the caller dispatches the queue) */
		op->retried = true;
		op_detach(op);
		op->msgid = -1;
		op_list_add(op_home_list(op), op);
	}
}

static void op_timeout(void *context)
{
	struct ldap_op *op = context;
	struct ldap_conn *conn = op->conn;
	char reason[128];

	op->timeout = NULL;
	snprintf(reason, sizeof(reason), "LDAP %s timed out: no answer "
		 "within the login's ldap_timeout of %u s",
		 op->type == LDAP_OP_SEARCH ? "search" : "bind",
		 op->pool->set->ldap_timeout);
	if (conn == NULL) {
		/* still queued: no connection became ready in time */
		op_finish(op, LDAP_OP_TEMPFAIL, reason);
		return;
	}
	/* a server that does not answer one request is not trusted with
	   the next: drop the connection and everything on it; this
	   operation has waited long enough and is not sent again */
	pool_log(op->pool, FA_LOG_ERROR, "%s; reconnecting", reason);
	op->retried = true;
	ldap_conn_disconnect(conn, reason);
	ldap_pool_dispatch(op->pool);
}

static int ldap_conn_set_options(struct ldap_conn *conn, const char **error_r)
{
	const struct fa_settings *set = conn->pool->set;
	struct timeval tv = { .tv_sec = set->ldap_timeout, .tv_usec = 0 };
	int version = LDAP_VERSION3, require, zero = 0, ret;


	static const int require_map[] = {
		[FA_TLS_REQUIRE_NEVER] = LDAP_OPT_X_TLS_NEVER,
		[FA_TLS_REQUIRE_ALLOW] = LDAP_OPT_X_TLS_ALLOW,
		[FA_TLS_REQUIRE_TRY] = LDAP_OPT_X_TLS_TRY,
		[FA_TLS_REQUIRE_DEMAND] = LDAP_OPT_X_TLS_DEMAND,
	};

	ldap_set_option(conn->ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	ldap_set_option(conn->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(conn->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(conn->ld, LDAP_OPT_DEREF, &zero);
	/* ldaps:// handshakes inside the connect; libldap cannot do that
	   asynchronously */
	if (strncmp(conn->uri, "ldaps://", 8) != 0)
		ldap_set_option(conn->ld, LDAP_OPT_CONNECT_ASYNC, LDAP_OPT_ON);
	if (!set->ldap_starttls && strncmp(conn->uri, "ldaps://", 8) != 0)
		return 0;
	require = require_map[set->ldap_tls_require_cert];
	ret = ldap_set_option(conn->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &require);
	if (ret == LDAP_SUCCESS && set->ldap_tls_ca_file[0] != '\0')
		ret = ldap_set_option(conn->ld, LDAP_OPT_X_TLS_CACERTFILE,
				      set->ldap_tls_ca_file);
	if (ret == LDAP_SUCCESS && set->ldap_tls_ca_dir[0] != '\0')
		ret = ldap_set_option(conn->ld, LDAP_OPT_X_TLS_CACERTDIR,
				      set->ldap_tls_ca_dir);
	if (ret == LDAP_SUCCESS)
		ret = ldap_set_option(conn->ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	if (ret != LDAP_SUCCESS) {
		*error_r = ldap_err2string(ret);
		return -1;
	}
	return 0;
}

/* ldap_conn_error - libldap's error text plus its diagnostic message,
   which says why TLS failed (untrusted certificate, wrong name, ...) */
static const char *ldap_conn_error(struct ldap_conn *conn, int code)
{
	static char buf[512];
	char *diag = NULL;

	if (conn->ld != NULL)
		(void)ldap_get_option(conn->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE,
				      &diag);
	snprintf(buf, sizeof(buf), "%s%s%s", ldap_err2string(code),
		 diag != NULL && diag[0] != '\0' ? ": " : "",
		 diag != NULL ? diag : "");
	ldap_memfree(diag);
	return buf;
}

/* ldap_pool_connect_failed - drop conn, move on to the next URI; after a
   whole round of failures, wait before the next attempt */
static void ldap_pool_connect_failed(struct ldap_conn *conn, const char *what,
				     const char *error)
{
	struct ldap_pool *pool = conn->pool;

	pool_log(pool, FA_LOG_ERROR, "LDAP %s %s failed: %s%s", what,
		 conn->uri, error, pool->set->ldap_starttls &&
		 strncmp(conn->uri, "ldaps://", 8) != 0 ?
		 " (StartTLS enabled)" : "");
	ldap_conn_disconnect(conn, "LDAP server unreachable");
	pool->uri_index = (pool->uri_index + 1) % pool->uri_count;
	if (++pool->uris_failed >= pool->uri_count) {
		pool->uris_failed = 0;
		pool->connect_failed_at = fa_clock_msecs();
	}
}

static void ldap_conn_connect_timeout(void *context)
{
	struct ldap_conn *conn = context;
	char error[64];

	conn->connect_timeout = NULL;
	snprintf(error, sizeof(error), "timed out after %u s without an answer",
		 conn->pool->set->ldap_timeout);
	ldap_pool_connect_failed(conn, conn->state == LDAP_CONN_CONNECTING ?
				 "connect to" : conn->state == LDAP_CONN_STARTTLS ?
				 "StartTLS with" : "service bind at", error);
	ldap_pool_dispatch(conn->pool);
}

static void ldap_conn_ready(struct ldap_conn *conn)
{
	struct ldap_pool *pool = conn->pool;

	if (conn->connect_timeout != NULL)
		pool->loop->timeout_remove(pool->loop, &conn->connect_timeout);
	conn->state = LDAP_CONN_READY;
	pool->uris_failed = 0;
	pool->connect_failed_at = 0;
}

/* ldap_conn_service_bind - TLS (if any) is up: bind search connections
   as the service account */
static void ldap_conn_service_bind(struct ldap_conn *conn)
{
	const struct fa_settings *set = conn->pool->set;
	struct berval cred;
	int ret;

	if (conn->for_binds || set->ldap_bind_dn[0] == '\0') {
		ldap_conn_ready(conn);
		return;
	}
	cred.bv_val = (char *)set->ldap_bind_password;
	cred.bv_len = strlen(set->ldap_bind_password);
	ret = ldap_sasl_bind(conn->ld, set->ldap_bind_dn, LDAP_SASL_SIMPLE,
			     &cred, NULL, NULL, &conn->service_bind_msgid);
	if (ret != LDAP_SUCCESS) {
		ldap_pool_connect_failed(conn, "service bind at",
					 ldap_err2string(ret));
		return;
	}
	conn->state = LDAP_CONN_BINDING;
}

/* ldap_conn_established - TCP is up: ask for StartTLS without waiting
   for the answer (ldap_conn_starttls_result), or bind */
static void ldap_conn_established(struct ldap_conn *conn)
{
	struct ldap_pool *pool = conn->pool;
	int ret;

	conn->io = pool->loop->io_add(pool->loop, conn->fd, false,
				      ldap_conn_input, conn);
	/* ldaps:// is encrypted already; StartTLS there is an error */
	if (!pool->set->ldap_starttls || strncmp(conn->uri, "ldaps://", 8) == 0) {
		ldap_conn_service_bind(conn);
		return;
	}
	ret = ldap_start_tls(conn->ld, NULL, NULL, &conn->service_bind_msgid);
	if (ret != LDAP_SUCCESS) {
		ldap_pool_connect_failed(conn, "StartTLS with",
					 ldap_conn_error(conn, ret));
		return;
	}
	conn->state = LDAP_CONN_STARTTLS;
}

static void ldap_conn_job_done(void *context);

/* ldap_conn_start_job - run kind on conn->ld on a thread; the loop
   continues in ldap_conn_job_done() */
static int ldap_conn_start_job(struct ldap_conn *conn,
			       enum ldap_job_kind kind)
{
	struct ldap_pool *pool = conn->pool;
	int fd;

	conn->job = ldap_job_start(kind, conn->ld, &fd);
	if (conn->job == NULL)
		return -1;
	conn->job_io = pool->loop->io_add(pool->loop, fd, false,
					  ldap_conn_job_done, conn);
	return 0;
}

/* ldap_conn_starttls_result - the server agreed to StartTLS: the
   handshake runs on a thread, then the bind */
static void ldap_conn_starttls_result(struct ldap_conn *conn,
				      LDAPMessage *msg)
{
	struct ldap_pool *pool = conn->pool;
	int code = LDAP_OTHER, ret;

	ret = ldap_parse_result(conn->ld, msg, &code, NULL, NULL, NULL, NULL, 0);
	if (ret != LDAP_SUCCESS || code != LDAP_SUCCESS) {
		ldap_pool_connect_failed(conn, "StartTLS with",
			ldap_conn_error(conn, ret != LDAP_SUCCESS ? ret : code));
		return;
	}
	/* the socket is the handshake's until it is done */
	pool->loop->io_remove(pool->loop, &conn->io, false);
	if (ldap_conn_start_job(conn, LDAP_JOB_INSTALL_TLS) < 0)
		ldap_pool_connect_failed(conn, "StartTLS with",
					 "no thread for the TLS handshake");
}

/* ldap_conn_connect_done - the non-blocking connect has finished */
static void ldap_conn_connect_done(void *context)
{
	struct ldap_conn *conn = context;
	struct ldap_pool *pool = conn->pool;
	socklen_t len = sizeof(int);
	int error = 0;

	pool->loop->io_remove(pool->loop, &conn->io, false);
	if (getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
		error = errno;
	if (error != 0)
		ldap_pool_connect_failed(conn, "connect to", strerror(error));
	else
		ldap_conn_established(conn);
	ldap_pool_dispatch(pool);
}

/* ldap_conn_connected - ldap_connect() returned on its thread: wait for
   the non-blocking TCP connect, or (ldaps://, connected and encrypted
   on the thread) go on */
static void ldap_conn_connected(struct ldap_conn *conn, int ret)
{
	struct ldap_pool *pool = conn->pool;
	int fd = -1;

	if (ret != LDAP_SUCCESS) {
		ldap_pool_connect_failed(conn, "connect to",
					 ldap_conn_error(conn, ret));
		return;
	}
	if (ldap_get_option(conn->ld, LDAP_OPT_DESC, &fd) != LDAP_OPT_SUCCESS ||
	    fd < 0) {
		ldap_pool_connect_failed(conn, "connect to",
					 "no socket after connect");
		return;
	}
	conn->fd = fd;
	if (strncmp(conn->uri, "ldaps://", 8) == 0) {
		ldap_conn_established(conn);
		return;
	}
	conn->io = pool->loop->io_add(pool->loop, fd, true,
				      ldap_conn_connect_done, conn);
}

/* ldap_conn_job_done - the thread's libldap call has returned */
static void ldap_conn_job_done(void *context)
{
	struct ldap_conn *conn = context;
	struct ldap_pool *pool = conn->pool;
	int ret;

	pool->loop->io_remove(pool->loop, &conn->job_io, false);
	ret = ldap_job_finish(&conn->job);
	if (conn->state == LDAP_CONN_CONNECTING) {
		ldap_conn_connected(conn, ret);
	} else if (ret != LDAP_SUCCESS) {
		ldap_pool_connect_failed(conn, "StartTLS with",
					 ldap_conn_error(conn, ret));
	} else {
		conn->io = pool->loop->io_add(pool->loop, conn->fd, false,
					      ldap_conn_input, conn);
		ldap_conn_service_bind(conn);
	}
	ldap_pool_dispatch(pool);
}

/* ldap_conn_connect - start connecting to the current URI (on a thread:
   the name lookup, and the handshake of ldaps://, block); returns -1 if
   that failed at once (the next URI is then current) */
static int ldap_conn_connect(struct ldap_conn *conn)
{
	struct ldap_pool *pool = conn->pool;
	const char *error = NULL;
	int ret;

	conn->uri = pool->uris[pool->uri_index];
	ret = ldap_initialize(&conn->ld, conn->uri);
	if (ret != LDAP_SUCCESS)
		error = ldap_err2string(ret);
	else if (ldap_conn_set_options(conn, &error) == 0 &&
		 ldap_conn_start_job(conn, LDAP_JOB_CONNECT) < 0)
		error = "no thread for the connect";
	if (error != NULL) {
		ldap_pool_connect_failed(conn, "connect to", error);
		return -1;
	}
	conn->state = LDAP_CONN_CONNECTING;
	conn->connect_timeout = pool->loop->timeout_add(pool->loop,
		pool->set->ldap_timeout * 1000, ldap_conn_connect_timeout, conn);
	return 0;
}

static bool ldap_pool_may_connect(struct ldap_pool *pool)
{
	return pool->connect_failed_at == 0 ||
		fa_clock_msecs() - pool->connect_failed_at >=
		LDAP_POOL_RECONNECT_MSECS;
}

static void ldap_op_send(struct ldap_conn *conn, struct ldap_op *op)
{
	struct timeval tv = { .tv_sec = conn->pool->set->ldap_timeout };
	struct berval cred;
	int ret;

	if (op->type == LDAP_OP_SEARCH) {
		ret = ldap_search_ext(conn->ld, op->base,
				      op->scope == LDAP_POOL_SCOPE_BASE ?
				      LDAP_SCOPE_BASE : LDAP_SCOPE_SUBTREE,
				      op->filter, (char **)op->attrs, 0,
				      NULL, NULL, &tv, op->size_limit,
				      &op->msgid);
	} else {
		cred.bv_val = op->password;
		cred.bv_len = strlen(op->password);
		ret = ldap_sasl_bind(conn->ld, op->dn, LDAP_SASL_SIMPLE,
				     &cred, NULL, NULL, &op->msgid);
	}
	op_list_remove(op_home_list(op), op);
	op->conn = conn;
	conn->pending++;
	op_list_add(&conn->ops, op);
	if (ret != LDAP_SUCCESS) {
		char reason[128];

		snprintf(reason, sizeof(reason), "LDAP request failed: %s",
			 ldap_err2string(ret));
		pool_log(conn->pool, FA_LOG_ERROR, "%s; reconnecting", reason);
		ldap_conn_disconnect(conn, reason);
	}
}

static struct ldap_conn *
ldap_pool_pick(struct ldap_pool *pool, struct ldap_conn *conns,
	       unsigned int count, unsigned int max_pending, bool *connecting_r)
{
	struct ldap_conn *best = NULL;
	unsigned int i;

	*connecting_r = false;
	for (i = 0; i < count; i++) {
		if (conns[i].state == LDAP_CONN_CONNECTING ||
		    conns[i].state == LDAP_CONN_STARTTLS ||
		    conns[i].state == LDAP_CONN_BINDING)
			*connecting_r = true;
		if (conns[i].state != LDAP_CONN_READY ||
		    conns[i].pending >= max_pending)
			continue;
		if (best == NULL || conns[i].pending < best->pending)
			best = &conns[i];
	}
	if (best != NULL || *connecting_r)
		return best;
	/* bring up one more connection, trying the URIs in turn */
	for (i = 0; i < count; i++) {
		if (conns[i].state != LDAP_CONN_DOWN)
			continue;
		while (ldap_pool_may_connect(pool)) {
			if (ldap_conn_connect(&conns[i]) == 0) {
				*connecting_r = true;
				return NULL;
			}
		}
		return NULL;
	}
	return NULL;
}

/* ldap_pool_dispatch_queue - send queued ops while connections take them */
static void ldap_pool_dispatch_queue(struct ldap_pool *pool,
				     struct op_list *queue,
				     struct ldap_conn *conns,
				     unsigned int count, unsigned int max_pending)
{
	struct ldap_conn *conn;
	bool connecting, any_up;
	unsigned int i;

	while (queue->head != NULL) {
		conn = ldap_pool_pick(pool, conns, count, max_pending,
				      &connecting);
		if (conn != NULL) {
			ldap_op_send(conn, queue->head);
			continue;
		}
		if (connecting)
			return;
		any_up = false;
		for (i = 0; i < count; i++)
			any_up = any_up || conns[i].state != LDAP_CONN_DOWN;
		if (any_up)
			return;
		/* nothing is up and nothing may connect now: fail fast */
		while (queue->head != NULL)
			op_finish_later(queue->head, LDAP_OP_TEMPFAIL,
					"LDAP server unreachable");
	}
}

static void ldap_pool_dispatch(struct ldap_pool *pool)
{
	ldap_pool_dispatch_queue(pool, &pool->search_queue, pool->search_conns,
				 pool->set->ldap_connections,
				 LDAP_CONN_MAX_PENDING);
	ldap_pool_dispatch_queue(pool, &pool->bind_queue, pool->bind_conns,
				 pool->set->ldap_bind_connections, 1);
}

/* entry_attr_slot - the attribute of entry named like desc without its
   options ("uid" for "uid;lang-de"), added if new; NULL when the entry
   already has LDAP_MAX_ATTRS attributes */
static struct ldap_attr *
entry_attr_slot(struct arena *arena, struct ldap_attr *attrs,
		unsigned int *count, const char *desc)
{
	size_t len = strcspn(desc, ";");
	unsigned int i;

	for (i = 0; i < *count; i++) {
		if (strlen(attrs[i].name) == len &&
		    strncasecmp(attrs[i].name, desc, len) == 0)
			return &attrs[i];
	}
	if (*count == LDAP_MAX_ATTRS)
		return NULL;
	attrs[*count].name = arena_strndup(arena, desc, len);
	attrs[*count].values = NULL;
	attrs[*count].value_count = 0;
	attrs[*count].untagged_count = 0;
	return &attrs[(*count)++];
}

/* entry_attr_add_values - append vals to attr; an error if a value holds
   a NUL byte (it would compare as its prefix) or there are too many */
static const char *
entry_attr_add_values(struct arena *arena, struct ldap_attr *attr,
		      struct berval **vals, bool tagged)
{
	unsigned int n = (unsigned int)ldap_count_values_len(vals), i, at;
	const char **values;

	if (n > LDAP_MAX_VALUES - attr->value_count)
		return "more values than the plugin accepts";
	/* untagged values go before the subtypes' */
	at = tagged ? attr->value_count : attr->untagged_count;
	values = arena_alloc(arena, sizeof(*values) *
			     (attr->value_count + n + 1));
	memcpy(values, attr->values, sizeof(*values) * at);
	memcpy(values + at + n, attr->values + at,
	       sizeof(*values) * (attr->value_count - at));
	for (i = 0; i < n; i++) {
		if (vals[i]->bv_len > 0 &&
		    memchr(vals[i]->bv_val, '\0', vals[i]->bv_len) != NULL)
			return "a value with a NUL byte";
		values[at + i] = vals[i]->bv_len == 0 ? "" :
			arena_strndup(arena, vals[i]->bv_val, vals[i]->bv_len);
	}
	values[attr->value_count + n] = NULL;
	attr->values = values;
	attr->value_count += n;
	if (!tagged)
		attr->untagged_count += n;
	return NULL;
}

static void ldap_op_save_entry(struct ldap_op *op, LDAP *ld, LDAPMessage *msg)
{
	struct ldap_entry *entries, *entry;
	struct ldap_attr *attrs, *attr;
	struct berval **vals;
	BerElement *ber = NULL;
	unsigned int attr_count = 0;
	const char *error = NULL;
	char *dn, *name;

	if (op->incomplete != NULL)
		return;
	if (op->entry_count >= (unsigned int)op->size_limit) {
		op->incomplete = "more entries than asked for";
		return;
	}
	entries = arena_alloc(op->arena, sizeof(*entries) * (op->entry_count + 1));
	if (op->entry_count > 0)
		memcpy(entries, op->entries, sizeof(*entries) * op->entry_count);
	op->entries = entries;
	entry = &entries[op->entry_count++];

	dn = ldap_get_dn(ld, msg);
	if (dn == NULL || dn[0] == '\0')
		error = "an entry without a DN";
	entry->dn = arena_strdup(op->arena, dn != NULL ? dn : "");
	ldap_memfree(dn);

	attrs = arena_alloc(op->arena, sizeof(*attrs) * (LDAP_MAX_ATTRS + 1));
	for (name = ldap_first_attribute(ld, msg, &ber);
	     name != NULL && error == NULL;
	     name = ldap_next_attribute(ld, msg, ber)) {
		vals = ldap_get_values_len(ld, msg, name);
		attr = entry_attr_slot(op->arena, attrs, &attr_count, name);
		if (attr == NULL)
			error = "more attributes than the plugin accepts";
		else if (vals != NULL)
			error = entry_attr_add_values(op->arena, attr, vals,
						      strchr(name, ';') != NULL);
		ldap_value_free_len(vals);
		ldap_memfree(name);
	}
	ldap_memfree(name);
	if (ber != NULL)
		ber_free(ber, 0);
	entry->attrs = attrs;
	entry->attr_count = attr_count;
	if (error != NULL) {
		op->incomplete = arena_printf(op->arena, "%s in entry %s",
					      error, entry->dn);
	}
}

/* ldap_search_outcome - the search's result code and what arrived, as
   one of ldap_op_result's values; reason_r says why it is not OK */
static enum ldap_op_result
ldap_search_outcome(struct ldap_op *op, int code, const char **reason_r)
{
	if (op->incomplete != NULL) {
		*reason_r = op->incomplete;
		return LDAP_OP_TEMPFAIL;
	}
	switch (code) {
	case LDAP_SUCCESS:
		return LDAP_OP_OK;
	case LDAP_SIZELIMIT_EXCEEDED:
		/* our own limit: "at least size_limit entries" is the
		   answer; fewer means the directory's limit cut it short */
		if (op->entry_count >= (unsigned int)op->size_limit)
			return LDAP_OP_OK;
		*reason_r = "the directory's size limit cut the answer short";
		return LDAP_OP_TEMPFAIL;
	case LDAP_NO_SUCH_OBJECT:
		*reason_r = arena_printf(op->arena, "search base %s does not "
					 "exist", op->base);
		return LDAP_OP_TEMPFAIL;
	default:
		return LDAP_OP_TEMPFAIL;
	}
}

static void ldap_op_handle_result(struct ldap_conn *conn, struct ldap_op *op,
			   LDAPMessage *msg)
{
	char *matched = NULL, *text = NULL, reason[512];
	const char *why = NULL;
	enum ldap_op_result result;
	int code = LDAP_OTHER, ret;

	ret = ldap_parse_result(conn->ld, msg, &code, &matched, &text,
				NULL, NULL, 0);
	if (ret != LDAP_SUCCESS)
		code = ret;
	snprintf(reason, sizeof(reason), "%s (%d)%s%s", ldap_err2string(code),
		 code, text != NULL && *text != '\0' ? ": " : "",
		 text != NULL ? text : "");
	ldap_memfree(matched);
	ldap_memfree(text);

	if (op->type == LDAP_OP_BIND) {
		/* only an explicit success counts; the credential codes
		   deny; anything else is the directory's trouble */
		if (code == LDAP_SUCCESS)
			op_finish(op, LDAP_OP_OK, NULL);
		else if (code == LDAP_INVALID_CREDENTIALS ||
			 code == LDAP_INAPPROPRIATE_AUTH ||
			 code == LDAP_UNWILLING_TO_PERFORM ||
			 code == LDAP_INSUFFICIENT_ACCESS)
			op_finish(op, LDAP_OP_INVALID_CREDENTIALS, reason);
		else
			op_finish(op, LDAP_OP_TEMPFAIL, reason);
		return;
	}
	result = ldap_search_outcome(op, code, &why);
	if (result == LDAP_OP_OK) {
		op_finish(op, LDAP_OP_OK, NULL);
		return;
	}
	if (why != NULL) {
		char full[768];

		snprintf(full, sizeof(full), "incomplete answer (%s): %s",
			 reason, why);
		pool_log(conn->pool, FA_LOG_ERROR, "LDAP search %s below %s: %s",
			 op->filter, op->base, full);
		op_finish(op, LDAP_OP_TEMPFAIL, full);
		return;
	}
	op_finish(op, LDAP_OP_TEMPFAIL, reason);
}

static struct ldap_op *ldap_conn_find_op(struct ldap_conn *conn, int msgid)
{
	struct ldap_op *op;

	for (op = conn->ops.head; op != NULL; op = op->next) {
		if (op->msgid == msgid)
			return op;
	}
	return NULL;
}

static void ldap_conn_service_bind_result(struct ldap_conn *conn,
					  LDAPMessage *msg)
{
	int code = LDAP_OTHER;
	char error[256];

	if (ldap_parse_result(conn->ld, msg, &code, NULL, NULL, NULL, NULL,
			      0) != LDAP_SUCCESS || code != LDAP_SUCCESS) {
		snprintf(error, sizeof(error), "%s (as %s)",
			 ldap_err2string(code), conn->pool->set->ldap_bind_dn);
		ldap_pool_connect_failed(conn, "service bind at", error);
		return;
	}
	ldap_conn_ready(conn);
}

static void ldap_conn_input(void *context)
{
	struct ldap_conn *conn = context;
	struct timeval zero = { 0, 0 };
	LDAPMessage *msg;
	struct ldap_op *op;
	int ret, msgid, err = LDAP_SERVER_DOWN;

	/* a StartTLS answer hands ld to a handshake job: stop reading */
	while (conn->ld != NULL && conn->job == NULL &&
	       (ret = ldap_result(conn->ld, LDAP_RES_ANY, LDAP_MSG_ONE,
				  &zero, &msg)) != 0) {
		if (ret < 0) {
			char reason[128];

			ldap_get_option(conn->ld, LDAP_OPT_RESULT_CODE, &err);
			snprintf(reason, sizeof(reason),
				 "LDAP connection lost: %s", ldap_err2string(err));
			pool_log(conn->pool, FA_LOG_ERROR, "%s", reason);
			ldap_conn_disconnect(conn, reason);
			break;
		}
		msgid = ldap_msgid(msg);
		if (conn->state == LDAP_CONN_STARTTLS &&
		    msgid == conn->service_bind_msgid) {
			ldap_conn_starttls_result(conn, msg);
		} else if (conn->state == LDAP_CONN_BINDING &&
		    msgid == conn->service_bind_msgid) {
			ldap_conn_service_bind_result(conn, msg);
		} else if ((op = ldap_conn_find_op(conn, msgid)) == NULL) {
			/* answer to an abandoned or cancelled request */
		} else if (ret == LDAP_RES_SEARCH_ENTRY) {
			ldap_op_save_entry(op, conn->ld, msg);
		} else if (ret == LDAP_RES_SEARCH_REFERENCE) {
			/* referrals are not chased: part of the answer is
			   on another server */
			op->incomplete = "a referral to another server";
		} else if (ret == LDAP_RES_SEARCH_RESULT || ret == LDAP_RES_BIND) {
			ldap_op_handle_result(conn, op, msg);
		}
		ldap_msgfree(msg);
	}
	ldap_pool_dispatch(conn->pool);
}

static struct ldap_op *ldap_op_new(struct ldap_pool *pool,
				   enum ldap_op_type type, void *context)
{
	struct ldap_op *op = calloc(1, sizeof(*op));

	if (op == NULL)
		abort();
	op->pool = pool;
	op->type = type;
	op->context = context;
	op->msgid = -1;
	return op;
}

static void ldap_op_start(struct ldap_op *op)
{
	struct ldap_pool *pool = op->pool;

	op->timeout = pool->loop->timeout_add(pool->loop, op->timeout_msecs,
					      op_timeout, op);
	op_list_add(op_home_list(op), op);
	ldap_pool_dispatch(pool);
}

struct ldap_op *
ldap_pool_search(struct ldap_pool *pool, struct arena *arena,
		 const char *base, enum ldap_pool_scope scope,
		 const char *filter,
		 const char *const *attrs, int size_limit,
		 unsigned int timeout_msecs,
		 ldap_search_callback_t *callback, void *context)
{
	struct ldap_op *op = ldap_op_new(pool, LDAP_OP_SEARCH, context);

	if (size_limit <= 0)
		abort();
	op->arena = arena;
	op->base = base;
	op->scope = scope;
	op->timeout_msecs = timeout_msecs;
	op->filter = filter;
	op->attrs = attrs;
	op->size_limit = size_limit;
	op->search_callback = callback;
	ldap_op_start(op);
	return op;
}

struct ldap_op *
ldap_pool_bind(struct ldap_pool *pool, const char *dn, const char *password,
	       unsigned int timeout_msecs,
	       ldap_bind_callback_t *callback, void *context)
{
	struct ldap_op *op = ldap_op_new(pool, LDAP_OP_BIND, context);

	op->dn = dn;
	op->timeout_msecs = timeout_msecs;
	op->bind_callback = callback;
	if (password == NULL || password[0] == '\0') {
		op_list_add(op_home_list(op), op);
		op_finish_later(op, LDAP_OP_INVALID_CREDENTIALS,
				"empty password (would be an anonymous bind)");
		return op;
	}
	op->password = strdup(password);
	if (op->password == NULL)
		abort();
	ldap_op_start(op);
	return op;
}

void ldap_op_cancel(struct ldap_op **op_p)
{
	struct ldap_op *op = *op_p;
	struct ldap_conn *conn;

	if (op == NULL)
		return;
	*op_p = NULL;
	conn = op->late ? NULL : op->conn;
	op_detach(op);
	if (conn != NULL && conn->ld != NULL && op->msgid >= 0) {
		if (op->type == LDAP_OP_BIND) {
			/* a bind cannot be abandoned cleanly: start over */
			ldap_conn_disconnect(conn, "bind cancelled");
		} else {
			(void)ldap_abandon_ext(conn->ld, op->msgid, NULL, NULL);
		}
	}
	op_free(op);
}

static char **ldap_pool_split_uris(const char *uris, unsigned int *count_r)
{
	char *copy = strdup(uris), *uri, *save, **list;
	unsigned int n = 0;

	list = calloc(strlen(uris) / 2 + 2, sizeof(*list));
	if (copy == NULL || list == NULL)
		abort();
	for (uri = strtok_r(copy, " \t", &save); uri != NULL;
	     uri = strtok_r(NULL, " \t", &save)) {
		list[n] = strdup(uri);
		if (list[n++] == NULL)
			abort();
	}
	free(copy);
	/* settings guarantee at least one */
	*count_r = n;
	return list;
}

struct ldap_pool *ldap_pool_init(const struct fa_settings *set,
				 struct fa_loop *loop)
{
	struct ldap_pool *pool = calloc(1, sizeof(*pool));
	unsigned int i;

	if (pool == NULL)
		abort();
	pool->set = set;
	pool->loop = loop;
	pool->uris = ldap_pool_split_uris(set->ldap_uris, &pool->uri_count);
	pool->search_conns = calloc(set->ldap_connections,
				    sizeof(*pool->search_conns));
	pool->bind_conns = calloc(set->ldap_bind_connections,
				  sizeof(*pool->bind_conns));
	if (pool->search_conns == NULL || pool->bind_conns == NULL)
		abort();
	for (i = 0; i < set->ldap_connections; i++)
		pool->search_conns[i].pool = pool;
	for (i = 0; i < set->ldap_bind_connections; i++) {
		pool->bind_conns[i].pool = pool;
		pool->bind_conns[i].for_binds = true;
	}
	return pool;
}

void ldap_pool_deinit(struct ldap_pool **pool_p)
{
	struct ldap_pool *pool = *pool_p;
	struct ldap_op *op;
	unsigned int i;

	if (pool == NULL)
		return;
	*pool_p = NULL;
	pool->shutting_down = true;
	for (i = 0; i < pool->set->ldap_connections; i++)
		ldap_conn_disconnect(&pool->search_conns[i], "shutting down");
	for (i = 0; i < pool->set->ldap_bind_connections; i++)
		ldap_conn_disconnect(&pool->bind_conns[i], "shutting down");
	while ((op = pool->search_queue.head) != NULL)
		op_finish(op, LDAP_OP_TEMPFAIL, "shutting down");
	while ((op = pool->bind_queue.head) != NULL)
		op_finish(op, LDAP_OP_TEMPFAIL, "shutting down");
	while ((op = pool->late_ops.head) != NULL)
		op_finish(op, op->late_result, op->late_error);
	for (i = 0; i < pool->uri_count; i++)
		free(pool->uris[i]);
	free(pool->uris);
	free(pool->search_conns);
	free(pool->bind_conns);
	free(pool);
}
