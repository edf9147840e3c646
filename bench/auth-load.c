/* auth-load - the login load generator of bench/bench.py.

   One process, one thread, K logins in flight over Dovecot's own auth
   protocols (no IMAP), driven by poll() on non-blocking unix sockets:

     passdb (no -m): AUTH PLAIN on the auth-client socket (-c); a login is
       done when its OK (or FAIL) arrives.
     passdb+userdb (-m): AUTH PLAIN on an auth *login* socket (-c), as
       imap-login does, and on OK a master REQUEST with that connection's
       cpid and cookie on the auth-master socket (-m), as the post-login
       step does, which runs the userdb lookup for that request; the login
       is done when USER (or FAIL / NOTFOUND) arrives.

   Request N (1, 2, ...) goes to client connection N % C and master
   connection N % M, M = max(1, C / 2); every request has `no-penalty`.
   Output is collected per connection and written once per poll() round.
   As a login finishes the next is sent, until -n logins were sent or -t
   seconds passed; then the ones in flight are waited for (at most 60 s
   more). Items are cycled, or with -o each sent once.

   Every reply is checked: a login that must pass needs OK with user=
   the expected user (and USER with it); one that must fail needs FAIL
   (CONT counts as a failure). Anything else is wrong, and also "temp"
   if the line has temp_fail or a temp field.

   Input (-f): one item per line, tab separated:
     ok(0|1)  expected-user(or -)  label  base64(authzid NUL login NUL pw)
   Output: key=value lines: done, elapsed (start to the last reply, s),
   wrong, temp, p50_ms, p99_ms (latency from sending AUTH to the last
   reply, monotonic clock), cpu_s (this process's user + system CPU), and
   up to 5 example= lines describing wrong replies. Exit status 2 on
   usage, protocol or connection errors (message on stderr).

   Build: cc -O2 -Wall -o auth-load auth-load.c   (load-common.h beside it)
   Run:   auth-load -c SOCKET [-m MASTER_SOCKET] -f items.tsv [-k 64]
                    [-C 4] [-t 5] [-n 20000] [-o]
*/

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define LOAD_PROG "auth-load"
#include "load-common.h"

#define IN_SIZE (256 * 1024)
#define OUT_INITIAL_SIZE (64 * 1024)
#define CONNECT_TIMEOUT_SECS 60
#define GRACE_SECS 60
#define MAX_CONNS 256

struct item {
	bool ok;
	const char *user;	/* expected user, NULL if none */
	size_t user_len;
	const char *label;
	char *tail;		/* AUTH line after the id */
	size_t tail_len;
};

enum request_state { REQUEST_FREE, REQUEST_AUTH, REQUEST_MASTER };

struct request {
	double started;
	unsigned int item;
	unsigned char state;
};

struct conn {
	int fd;
	bool master, handshake_done;
	unsigned int index, cpid;
	char *cookie;
	char *in;
	size_t in_len;
	char *out;
	size_t out_pos, out_len, out_size;
};

static struct item *items;
static unsigned int item_count;
static size_t item_cap;

/* clients first, then masters */
static struct conn *conns, *clients, *masters;
static unsigned int n_clients = 4, n_masters;

/* by request id - 1; latencies of finished logins */
static struct request *requests;
static double *latencies;
static unsigned long request_cap;

static unsigned int concurrency = 64;
static unsigned long max_logins = 20000;
static bool once, stopping;
static unsigned long next_id, next_item, inflight;
static double t_end, last_done, elapsed;

static unsigned long done_count, wrong_count, temp_count;

/* --- items ----------------------------------------------------------- */

static void item_parse(struct item *it, char *line, const char *path)
{
	char *fields[4], *p = line;
	unsigned int i;

	for (i = 0; i < 4; i++)
		fields[i] = strsep(&p, "\t");
	if (fields[3] == NULL || p != NULL || fields[0][0] == '\0')
		die("%s: not ok<TAB>user<TAB>label<TAB>resp: %.200s",
		    path, line);
	it->ok = atoi(fields[0]) != 0;
	it->user = strcmp(fields[1], "-") == 0 ? NULL : strdup(fields[1]);
	it->user_len = it->user == NULL ? 0 : strlen(it->user);
	it->label = strdup(fields[2]);
	if (asprintf(&it->tail, "\tPLAIN\tservice=imap\tno-penalty\tresp=%s\n",
		     fields[3]) < 0)
		die("out of memory");
	it->tail_len = strlen(it->tail);
}

static void item_add(char *line, const char *path)
{
	items = grow(items, &item_cap, item_count, sizeof(*items));
	item_parse(&items[item_count++], line, path);
}

/* --- connections ----------------------------------------------------- */

static char *out_reserve(struct conn *c, size_t len)
{
	if (c->out_len + len > c->out_size) {
		while (c->out_len + len > c->out_size)
			c->out_size *= 2;
		c->out = xrealloc(c->out, c->out_size);
	}
	return c->out + c->out_len;
}

/* conn_flush - write what is collected, as far as the socket takes it */
static void conn_flush(struct conn *c)
{
	out_flush(c->fd, c->out, &c->out_pos, &c->out_len, "the auth server");
}

static void flush_all(void)
{
	unsigned int i;

	for (i = 0; i < n_clients + n_masters; i++)
		conn_flush(&conns[i]);
}

static unsigned int handle_line(struct conn *c, const char *line);

/* a conn_read() in progress */
struct conn_lines {
	struct conn *c;
	unsigned int finished;
};

static void conn_line(void *ctx, char *line, size_t len)
{
	struct conn_lines *cl = ctx;

	(void)len;
	cl->finished += handle_line(cl->c, line);
}

/* conn_read - one read, then the complete lines in; returns the number
   of logins they finished */
static unsigned int conn_read(struct conn *c)
{
	struct conn_lines cl = { c, 0 };

	if (c->in_len == IN_SIZE)
		die("a line from the auth server is longer than %d bytes",
		    IN_SIZE);
	if (in_read(c->fd, c->in, &c->in_len, IN_SIZE - c->in_len,
		    "the auth server", conn_line, &cl) == 0)
		die("the auth server closed a connection");
	return cl.finished;
}

static void conn_connect(struct conn *c, const char *path)
{
	struct timeval tv = { CONNECT_TIMEOUT_SECS, 0 };
	struct sockaddr_un sa;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		die("socket(): %s", strerror(errno));
	/* bounds a blocking connect() on a full backlog */
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect(%s): %s", path, strerror(errno));
	if (fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl(O_NONBLOCK): %s", strerror(errno));
	c->in = xrealloc(NULL, IN_SIZE);
	c->out_size = OUT_INITIAL_SIZE;
	c->out = xrealloc(NULL, c->out_size);
}

/* client_handshake - VERSION and CPID, then the server's lines up to
   DONE (COOKIE among them) */
static void client_handshake(struct conn *c)
{
	double deadline = now() + CONNECT_TIMEOUT_SECS;
	struct pollfd pfd = { .fd = c->fd };
	int ms;

	c->out_len = (size_t)sprintf(out_reserve(c, 64),
				     "VERSION\t1\t2\nCPID\t%u\n", c->cpid);
	while (!c->handshake_done) {
		conn_flush(c);
		ms = (int)((deadline - now()) * 1000);
		if (ms <= 0)
			die("no DONE from the auth server in %d s",
			    CONNECT_TIMEOUT_SECS);
		pfd.events = POLLIN | (c->out_len > 0 ? POLLOUT : 0);
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			die("poll(): %s", strerror(errno));
		if ((pfd.revents & ~POLLOUT) != 0)
			(void)conn_read(c);
	}
}

static void handshake_line(struct conn *c, const char *line)
{
	size_t len;

	if (strncmp(line, "COOKIE\t", 7) == 0) {
		len = strcspn(line + 7, "\t");
		c->cookie = strndup(line + 7, len);
	} else if (strcmp(line, "DONE") == 0) {
		c->handshake_done = true;
	}
}

static void conns_open(const char *client_path, const char *master_path)
{
	unsigned int i, cpid_base = (unsigned int)getpid() * MAX_CONNS;

	n_masters = master_path == NULL ? 0 :
		(n_clients / 2 > 0 ? n_clients / 2 : 1);
	conns = calloc(n_clients + n_masters, sizeof(*conns));
	if (conns == NULL)
		die("out of memory");
	clients = conns;
	masters = conns + n_clients;
	for (i = 0; i < n_clients; i++) {
		clients[i].index = i;
		clients[i].cpid = cpid_base + i;
		conn_connect(&clients[i], client_path);
		client_handshake(&clients[i]);
		if (master_path != NULL && clients[i].cookie == NULL)
			die("no COOKIE from %s", client_path);
	}
	for (i = 0; i < n_masters; i++) {
		masters[i].index = i;
		masters[i].master = true;
		masters[i].handshake_done = true;
		conn_connect(&masters[i], master_path);
		masters[i].out_len = (size_t)sprintf(
			out_reserve(&masters[i], 16), "VERSION\t1\t0\n");
	}
}

/* --- logins ---------------------------------------------------------- */

static void requests_reserve(unsigned long id)
{
	if (id <= request_cap)
		return;
	request_cap = request_cap * 2 > id ? request_cap * 2 : id + 1024;
	requests = xrealloc(requests, request_cap * sizeof(*requests));
	latencies = xrealloc(latencies, request_cap * sizeof(*latencies));
}

static void send_auth(double t)
{
	unsigned long id = ++next_id;
	const struct item *it = &items[next_item++ % item_count];
	struct conn *c = &clients[id % n_clients];
	struct request *r;
	char *p;
	int n;

	requests_reserve(id);
	r = &requests[id - 1];
	r->started = t;
	r->item = (unsigned int)(it - items);
	r->state = REQUEST_AUTH;
	p = out_reserve(c, 32 + it->tail_len);
	n = sprintf(p, "AUTH\t%lu", id);
	memcpy(p + n, it->tail, it->tail_len);
	c->out_len += (size_t)n + it->tail_len;
	inflight++;
}

/* issue - send up to n more logins, unless the limits are reached */
static void issue(unsigned long n)
{
	double t;

	for (; n > 0 && !stopping; n--) {
		if (next_id >= max_logins ||
		    (once && next_item >= item_count)) {
			stopping = true;
			break;
		}
		t = now();
		if (t >= t_end) {
			stopping = true;
			break;
		}
		send_auth(t);
	}
}

static void send_master_request(unsigned long id, const struct conn *c)
{
	struct conn *m = &masters[id % n_masters];
	char *p = out_reserve(m, 64 + strlen(c->cookie));

	m->out_len += (size_t)sprintf(p, "REQUEST\t%lu\t%u\t%lu\t%s\n",
				      id, c->cpid, id, c->cookie);
	requests[id - 1].state = REQUEST_MASTER;
}

static void finish(struct request *r)
{
	double t = now();

	latencies[done_count++] = t - r->started;
	last_done = t;
	r->state = REQUEST_FREE;
	inflight--;
}

static void wrong(const struct request *r, const char *line)
{
	const struct item *it = &items[r->item];

	wrong_count++;
	if (strstr(line, "temp_fail") != NULL || strstr(line, "\ttemp") != NULL)
		temp_count++;
	example_add("%s: expected %s user=%s, got %.200s", it->label,
		    it->ok ? "OK" : "FAIL", it->user == NULL ? "None" : it->user,
		    line);
}

/* request_of - the request a reply is for: the id after the command,
   in flight in `state` on connection c */
static struct request *request_of(const struct conn *c, const char *line,
				  enum request_state state,
				  unsigned long *id_r)
{
	const char *idstr = strchr(line, '\t') + 1;
	unsigned int n = c->master ? n_masters : n_clients;
	unsigned long id;
	char *end;

	id = strtoul(idstr, &end, 10);
	if (end == idstr || (*end != '\t' && *end != '\0') || id == 0 ||
	    id > next_id || requests[id - 1].state != state ||
	    id % n != c->index)
		die("reply to no request in flight: %.200s", line);
	*id_r = id;
	return &requests[id - 1];
}

/* field_is - does the tab-terminated value at p equal the item's user? */
static bool field_is(const char *p, const struct item *it)
{
	if (p == NULL || it->user == NULL)
		return p == NULL && it->user == NULL;
	return strncmp(p, it->user, it->user_len) == 0 &&
		(p[it->user_len] == '\t' || p[it->user_len] == '\0');
}

/* ok_user - the value of the first user= field after the id, or NULL */
static const char *ok_user(const char *line)
{
	const char *p = strchr(strchr(line, '\t') + 1, '\t');

	for (; p != NULL; p = strchr(p + 1, '\t')) {
		if (strncmp(p + 1, "user=", 5) == 0)
			return p + 6;
	}
	return NULL;
}

static unsigned int client_line(struct conn *c, const char *line)
{
	bool ok = strncmp(line, "OK\t", 3) == 0;
	const struct item *it;
	struct request *r;
	unsigned long id;

	if (!ok && strncmp(line, "FAIL\t", 5) != 0 &&
	    strncmp(line, "CONT\t", 5) != 0)
		return 0;
	r = request_of(c, line, REQUEST_AUTH, &id);
	it = &items[r->item];
	if (ok && it->ok && field_is(ok_user(line), it)) {
		if (n_masters > 0) {
			send_master_request(id, c);
			return 0;
		}
	} else if (ok || it->ok) {
		wrong(r, line);
	}
	finish(r);
	return 1;
}

static unsigned int master_line(struct conn *c, const char *line)
{
	bool user = strncmp(line, "USER\t", 5) == 0;
	const char *p;
	struct request *r;
	unsigned long id;

	if (!user && strncmp(line, "FAIL\t", 5) != 0 &&
	    strncmp(line, "NOTFOUND\t", 9) != 0)
		return 0;
	r = request_of(c, line, REQUEST_MASTER, &id);
	p = user ? strchr(line + 5, '\t') : NULL;
	if (!user || p == NULL || !field_is(p + 1, &items[r->item]))
		wrong(r, line);
	finish(r);
	return 1;
}

static unsigned int handle_line(struct conn *c, const char *line)
{
	if (!c->handshake_done) {
		handshake_line(c, line);
		return 0;
	}
	return c->master ? master_line(c, line) : client_line(c, line);
}

/* --- main loop and results ------------------------------------------- */

static void run(double seconds)
{
	unsigned int i, n = n_clients + n_masters;
	struct pollfd *pfds = calloc(n, sizeof(*pfds));
	unsigned long finished;
	double start, deadline;
	int ms;

	if (pfds == NULL)
		die("out of memory");
	for (i = 0; i < n; i++)
		pfds[i].fd = conns[i].fd;
	start = last_done = now();
	t_end = start + seconds;
	deadline = t_end + GRACE_SECS;
	issue(concurrency);
	flush_all();
	while (inflight > 0) {
		ms = (int)((deadline - now()) * 1000) + 1;
		if (ms <= 0)
			die("%lu requests unanswered %d s after the time limit",
			    inflight, GRACE_SECS);
		for (i = 0; i < n; i++) {
			pfds[i].events = POLLIN |
				(conns[i].out_len > 0 ? POLLOUT : 0);
		}
		if (poll(pfds, n, ms) < 0 && errno != EINTR)
			die("poll(): %s", strerror(errno));
		finished = 0;
		for (i = 0; i < n; i++) {
			if ((pfds[i].revents & ~POLLOUT) != 0)
				finished += conn_read(&conns[i]);
		}
		issue(finished);
		flush_all();
	}
	free(pfds);
	elapsed = last_done - start > 1e-6 ? last_done - start : 1e-6;
}

static void print_results(void)
{
	double cpu_s = cpu_seconds();

	sort_doubles(latencies, done_count);
	printf("done=%lu\nelapsed=%.6f\nwrong=%lu\ntemp=%lu\n"
	       "p50_ms=%.4f\np99_ms=%.4f\ncpu_s=%.4f\n", done_count,
	       elapsed, wrong_count, temp_count,
	       percentile(latencies, done_count, 0.5) * 1000,
	       percentile(latencies, done_count, 0.99) * 1000, cpu_s);
	examples_print();
}

static void usage(void)
{
	fprintf(stderr, "usage: auth-load -c socket [-m master_socket] "
		"-f items.tsv [-k in_flight] [-C client_conns] [-t secs] "
		"[-n max] [-o]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *client_path = NULL, *master_path = NULL, *file = NULL;
	double seconds = 5;
	int opt;

	while ((opt = getopt(argc, argv, "c:m:f:k:C:t:n:o")) != -1) {
		switch (opt) {
		case 'c': client_path = optarg; break;
		case 'm': master_path = optarg; break;
		case 'f': file = optarg; break;
		case 'k': concurrency = (unsigned int)atoi(optarg); break;
		case 'C': n_clients = (unsigned int)atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'n': max_logins = strtoul(optarg, NULL, 10); break;
		case 'o': once = true; break;
		default: usage();
		}
	}
	if (client_path == NULL || file == NULL || optind != argc ||
	    concurrency == 0 || n_clients == 0 || n_clients > MAX_CONNS)
		usage();
	items_read(file, item_add);
	conns_open(client_path, master_path);
	requests_reserve(max_logins < 65536 ? max_logins : 65536);
	run(seconds);
	print_results();
	return 0;
}
