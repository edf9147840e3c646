/* smtp-load - the SMTP load generator of bench/policy_bench.py (the
   policy-service row of bench/bench.py).

   One process, one thread, C SMTP client connections to a Postfix smtpd
   on 127.0.0.1 (non-blocking TCP sockets, poll()). Each connection, once
   greeted and after EHLO, repeats for one item (person, sender) at a time:

       XCLIENT LOGIN=<person>        (Postfix answers 220 and the session's
                                      sasl_username is <person>: no SASL
                                      exchange)
       MAIL FROM:<sender>            (sent once the 220 is in: XCLIENT is
       RSET                           a synchronisation point; RSET, in the
                                      same write, ends the transaction of
                                      an accepted MAIL FROM, since XCLIENT
                                      is refused inside one)

   two round trips per decision, no command pipelined after one that must
   end a group (Postfix logs "improper command pipelining" for that).

   The decision is the MAIL FROM reply: Postfix must run with
   smtpd_delay_reject = no, so that smtpd_sender_restrictions (the policy
   service, or reject_sender_login_mismatch) are evaluated there. 2xx =
   accepted, 5xx = refused, anything else (4xx: a temporary failure, e.g.
   the policy service's default_action) is a temporary failure; every
   reply is checked against the item's expectation. A decision's latency
   is from sending MAIL FROM to its reply (monotonic clock).

   All connections are opened and greeted (220, EHLO 250) before the
   clock starts. Then items are handed out in order, cycled (or with -o
   each once), until -n decisions were started or -t seconds passed; the
   ones in flight are waited for (at most 60 s more); then QUIT.

   Input (-f): one item per line, tab separated:
     ok(1 = must be accepted | 0 = must be refused)  person  sender  label
   Output: key=value lines: done, elapsed (clock start to the last
   decision, s), accepted, refused, wrong, temp, p50_ms, p99_ms, max_ms,
   cpu_s (this process's user + system CPU), setup_s (connect + greeting
   + EHLO of all connections), per item label a line
   "class=<label> <decisions> <p50_ms> <p99_ms>", and up to 5 example=
   lines describing wrong replies. Exit status 2 on usage, protocol or
   connection errors (message on stderr), e.g. when smtpd closes a
   connection.

   Build: cc -O2 -Wall -o smtp-load smtp-load.c   (load-common.h beside it)
   Run:   smtp-load -p PORT -f items.tsv [-H 127.0.0.1] [-C 64] [-t 5]
                    [-n 20000] [-o]
*/

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define LOAD_PROG "smtp-load"
#include "load-common.h"

#define IN_SIZE (64 * 1024)
#define OUT_SIZE (4 * 1024)
#define MAX_CONNS 1024
#define SETUP_SECS 60
#define GRACE_SECS 60
#define MAX_ADDR 900		/* person / sender length */

struct item {
	bool ok;
	char *person, *sender, *label;
	unsigned int class;	/* index into classes (by label) */
};

/* latencies per item label, for the output's class= lines */
#define MAX_CLASSES 64
struct class {
	const char *label;
	double *lat;
	unsigned long n;
	size_t cap;
};
static struct class classes[MAX_CLASSES];
static unsigned int class_count;

enum conn_state {
	S_GREETING,		/* waiting for 220 */
	S_EHLO,			/* waiting for the final 250 of EHLO */
	S_READY,		/* greeted, clock not started */
	S_XCLIENT,		/* XCLIENT sent, waiting for its 220 */
	S_MAIL,			/* MAIL FROM + RSET sent, waiting for the
				   decision */
	S_RSET,			/* decided, waiting for RSET's 250 */
	S_IDLE,			/* limits reached, nothing in flight */
	S_QUIT			/* QUIT sent */
};

struct conn {
	int fd;
	enum conn_state state;
	unsigned int item;
	double mail_sent;
	char in[IN_SIZE];
	size_t in_len;
	char out[OUT_SIZE];
	size_t out_pos, out_len;
	char last_reply[256];
};

static struct item *items;
static unsigned int item_count;
static size_t item_cap;
static struct conn *conns;
static unsigned int n_conns = 64;
static unsigned long max_decisions = 20000;
static bool once, stopping, clock_started;
static unsigned long started, inflight;
static unsigned long next_item;
static double t_end, t_start, last_done;

static double *latencies;
static unsigned long done_count, accepted_count, refused_count;
static unsigned long wrong_count, temp_count;

/* --- items ----------------------------------------------------------- */

static bool addr_ok(const char *s)
{
	size_t len = strlen(s);

	/* no room for SMTP injection: printable, no space, no <> */
	if (len == 0 || len > MAX_ADDR)
		return false;
	for (; *s != '\0'; s++) {
		if (*s <= ' ' || *s >= 127 || *s == '<' || *s == '>')
			return false;
	}
	return true;
}

static void item_add(char *line, const char *path)
{
	char *fields[4], *p = line;
	unsigned int i;
	struct item *it;

	for (i = 0; i < 4; i++)
		fields[i] = strsep(&p, "\t");
	if (fields[3] == NULL || p != NULL ||
	    (strcmp(fields[0], "0") != 0 && strcmp(fields[0], "1") != 0) ||
	    !addr_ok(fields[1]) || !addr_ok(fields[2]))
		die("%s: not ok<TAB>person<TAB>sender<TAB>label: %.200s",
		    path, line);
	items = grow(items, &item_cap, item_count, sizeof(*items));
	it = &items[item_count++];
	it->ok = fields[0][0] == '1';
	it->person = strdup(fields[1]);
	it->sender = strdup(fields[2]);
	it->label = strdup(fields[3]);
	if (it->person == NULL || it->sender == NULL || it->label == NULL)
		die("out of memory");
	for (i = 0; i < class_count; i++) {
		if (strcmp(classes[i].label, it->label) == 0)
			break;
	}
	if (i == class_count) {
		if (class_count == MAX_CLASSES)
			die("more than %d labels in %s", MAX_CLASSES, path);
		classes[class_count++].label = it->label;
	}
	it->class = i;
}

/* --- connections ----------------------------------------------------- */

static void conn_flush(struct conn *c)
{
	out_flush(c->fd, c->out, &c->out_pos, &c->out_len, "smtpd");
}

static void conn_printf(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = vsnprintf(c->out + c->out_len, OUT_SIZE - c->out_len, fmt, args);
	va_end(args);
	if (n < 0 || (size_t)n >= OUT_SIZE - c->out_len)
		die("output buffer full");
	c->out_len += (size_t)n;
}

static void conn_connect(struct conn *c, const char *host, int port)
{
	struct sockaddr_in sa;
	struct timeval tv = { SETUP_SECS, 0 };
	int one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die("not an IPv4 address: %s", host);
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		die("socket(): %s", strerror(errno));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect(%s:%d): %s", host, port, strerror(errno));
	if (fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl(O_NONBLOCK): %s", strerror(errno));
	c->state = S_GREETING;
}

/* --- decisions ------------------------------------------------------- */

/* next_decision - start the next item on c, or go idle at the limits */
static void next_decision(struct conn *c, double t)
{
	const struct item *it;

	if (!stopping && (started >= max_decisions ||
			  (once && next_item >= item_count) || t >= t_end))
		stopping = true;
	if (stopping) {
		c->state = S_IDLE;
		return;
	}
	c->item = (unsigned int)(next_item++ % item_count);
	it = &items[c->item];
	conn_printf(c, "XCLIENT LOGIN=%s\r\n", it->person);
	c->state = S_XCLIENT;
	started++;
	inflight++;
}

static void wrong(const struct conn *c, const char *reply)
{
	const struct item *it = &items[c->item];

	wrong_count++;
	example_add("%s: %s as %s: expected %s, got %.200s", it->label,
		    it->person, it->sender, it->ok ? "accept" : "refuse", reply);
}

static void decided(struct conn *c, int code, const char *reply)
{
	const struct item *it = &items[c->item];
	struct class *cl = &classes[it->class];
	double t = now();

	latencies[done_count++] = t - c->mail_sent;
	cl->lat = grow(cl->lat, &cl->cap, cl->n, sizeof(double));
	cl->lat[cl->n++] = t - c->mail_sent;
	last_done = t;
	inflight--;
	if (code >= 200 && code < 300) {
		accepted_count++;
		if (!it->ok)
			wrong(c, reply);
	} else if (code >= 500 && code < 600) {
		refused_count++;
		if (it->ok)
			wrong(c, reply);
	} else {
		temp_count++;
		wrong(c, reply);
	}
	c->state = S_RSET;
}

/* reply - one complete (final-line) reply on c */
static void reply(struct conn *c, int code, const char *line)
{
	snprintf(c->last_reply, sizeof(c->last_reply), "%s", line);
	switch (c->state) {
	case S_GREETING:
		if (code != 220)
			die("greeting: %.200s", line);
		conn_printf(c, "EHLO bench.invalid\r\n");
		c->state = S_EHLO;
		break;
	case S_EHLO:
		if (code != 250)
			die("EHLO: %.200s", line);
		c->state = S_READY;
		break;
	case S_RSET:
		if (code != 250)
			die("RSET: %.200s", line);
		next_decision(c, now());
		break;
	case S_XCLIENT:
		if (code != 220)
			die("XCLIENT LOGIN=%s: %.200s (is the client in "
			    "smtpd_authorized_xclient_hosts?)",
			    items[c->item].person, line);
		conn_printf(c, "MAIL FROM:<%s>\r\nRSET\r\n",
			    items[c->item].sender);
		c->mail_sent = now();
		c->state = S_MAIL;
		break;
	case S_MAIL:
		decided(c, code, line);
		break;
	case S_QUIT:
		break;
	default:
		die("unexpected reply: %.200s", line);
	}
}

/* reply_line - one reply line (its '\n' cut off, len bytes) on c */
static void reply_line(void *ctx, char *p, size_t len)
{
	struct conn *c = ctx;
	int code;

	if (len > 0 && p[len - 1] == '\r')
		p[len - 1] = '\0';
	if (strlen(p) < 3 || p[0] < '1' || p[0] > '5' ||
	    p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9' ||
	    (p[3] != '\0' && p[3] != ' ' && p[3] != '-'))
		die("not an SMTP reply line: %.200s", p);
	code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (p[3] != '-')
		reply(c, code, p);
}

/* conn_read - one read; handles the complete reply lines */
static void conn_read(struct conn *c)
{
	if (c->in_len == IN_SIZE)
		die("a reply line is longer than %d bytes", IN_SIZE);
	if (in_read(c->fd, c->in, &c->in_len, IN_SIZE - c->in_len - 1,
		    "smtpd", reply_line, c) == 0 && c->state != S_QUIT)
		die("smtpd closed a connection (state %d, last reply: %s)",
		    c->state, c->last_reply);
}

/* --- main loop and results ------------------------------------------- */

static void poll_round(struct pollfd *pfds, double deadline, const char *what)
{
	unsigned int i;
	int ms;

	ms = (int)((deadline - now()) * 1000) + 1;
	if (ms <= 0)
		die("%s: timed out", what);
	for (i = 0; i < n_conns; i++) {
		conn_flush(&conns[i]);
		pfds[i].events = POLLIN | (conns[i].out_len > 0 ? POLLOUT : 0);
	}
	if (poll(pfds, n_conns, ms) < 0 && errno != EINTR)
		die("poll(): %s", strerror(errno));
	for (i = 0; i < n_conns; i++) {
		if ((pfds[i].revents & ~POLLOUT) != 0)
			conn_read(&conns[i]);
	}
}

static double run(const char *host, int port, double seconds)
{
	struct pollfd *pfds = calloc(n_conns, sizeof(*pfds));
	double setup_start = now(), deadline;
	unsigned int i, ready;

	if (pfds == NULL)
		die("out of memory");
	for (i = 0; i < n_conns; i++) {
		conn_connect(&conns[i], host, port);
		pfds[i].fd = conns[i].fd;
	}
	/* greeting and EHLO on all connections before the clock starts */
	deadline = setup_start + SETUP_SECS;
	for (;;) {
		for (i = 0, ready = 0; i < n_conns; i++)
			ready += conns[i].state == S_READY;
		if (ready == n_conns)
			break;
		poll_round(pfds, deadline, "greeting and EHLO of all "
			   "connections");
	}
	t_start = last_done = now();
	t_end = t_start + seconds;
	clock_started = true;
	for (i = 0; i < n_conns; i++)
		next_decision(&conns[i], t_start);
	deadline = t_end + GRACE_SECS;
	while (inflight > 0)
		poll_round(pfds, deadline, "decisions in flight after the "
			   "time limit");
	for (i = 0; i < n_conns; i++) {
		conn_printf(&conns[i], "QUIT\r\n");
		conns[i].state = S_QUIT;
		conn_flush(&conns[i]);
		close(conns[i].fd);
	}
	free(pfds);
	return t_start - setup_start;
}

static void usage(void)
{
	fprintf(stderr, "usage: smtp-load -p port -f items.tsv [-H host] "
		"[-C conns] [-t secs] [-n max] [-o]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *file = NULL;
	double seconds = 5, setup_s, elapsed, cpu_s;
	unsigned int i;
	int opt, port = 0;

	while ((opt = getopt(argc, argv, "H:p:f:C:t:n:o")) != -1) {
		switch (opt) {
		case 'H': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'f': file = optarg; break;
		case 'C': n_conns = (unsigned int)atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'n': max_decisions = strtoul(optarg, NULL, 10); break;
		case 'o': once = true; break;
		default: usage();
		}
	}
	if (file == NULL || port <= 0 || port > 65535 || optind != argc ||
	    n_conns == 0 || n_conns > MAX_CONNS || max_decisions == 0 ||
	    seconds <= 0)
		usage();
	items_read(file, item_add);
	conns = calloc(n_conns, sizeof(*conns));
	latencies = calloc(max_decisions, sizeof(*latencies));
	if (conns == NULL || latencies == NULL)
		die("out of memory");
	setup_s = run(host, port, seconds);
	elapsed = last_done - t_start > 1e-6 ? last_done - t_start : 1e-6;
	cpu_s = cpu_seconds();
	sort_doubles(latencies, done_count);
	printf("done=%lu\nelapsed=%.6f\naccepted=%lu\nrefused=%lu\n"
	       "wrong=%lu\ntemp=%lu\np50_ms=%.4f\np99_ms=%.4f\nmax_ms=%.4f\n"
	       "cpu_s=%.4f\nsetup_s=%.4f\n", done_count, elapsed,
	       accepted_count, refused_count, wrong_count, temp_count,
	       percentile(latencies, done_count, 0.5) * 1000,
	       percentile(latencies, done_count, 0.99) * 1000,
	       done_count ? latencies[done_count - 1] * 1000 : 0, cpu_s,
	       setup_s);
	for (i = 0; i < class_count; i++) {
		struct class *cl = &classes[i];

		sort_doubles(cl->lat, cl->n);
		printf("class=%s %lu %.4f %.4f\n", cl->label, cl->n,
		       percentile(cl->lat, cl->n, 0.5) * 1000,
		       percentile(cl->lat, cl->n, 0.99) * 1000);
	}
	examples_print();
	return 0;
}
