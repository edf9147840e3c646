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

   Build: cc -O2 -Wall -o smtp-load smtp-load.c
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define IN_SIZE (64 * 1024)
#define OUT_SIZE (4 * 1024)
#define MAX_CONNS 1024
#define SETUP_SECS 60
#define GRACE_SECS 60
#define MAX_EXAMPLES 5
#define EXAMPLE_SIZE 512
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
	unsigned long n, cap;
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
static char examples[MAX_EXAMPLES][EXAMPLE_SIZE];
static unsigned int example_count;

static void die(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list args;

	fputs("smtp-load: ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
	exit(2);
}

static void *xrealloc(void *p, size_t size)
{
	if ((p = realloc(p, size)) == NULL)
		die("out of memory");
	return p;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

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

static void items_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *fields[4], *p;
	size_t size = 0, cap = 0;
	unsigned int i;
	struct item *it;

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	while (getline(&line, &size, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		p = line;
		for (i = 0; i < 4; i++)
			fields[i] = strsep(&p, "\t");
		if (fields[3] == NULL || p != NULL ||
		    (strcmp(fields[0], "0") != 0 &&
		     strcmp(fields[0], "1") != 0) ||
		    !addr_ok(fields[1]) || !addr_ok(fields[2]))
			die("%s: not ok<TAB>person<TAB>sender<TAB>label: "
			    "%.200s", path, line);
		if (item_count == cap) {
			cap = cap * 2 + 1024;
			items = xrealloc(items, cap * sizeof(*items));
		}
		it = &items[item_count++];
		it->ok = fields[0][0] == '1';
		it->person = strdup(fields[1]);
		it->sender = strdup(fields[2]);
		it->label = strdup(fields[3]);
		if (it->person == NULL || it->sender == NULL ||
		    it->label == NULL)
			die("out of memory");
		for (i = 0; i < class_count; i++) {
			if (strcmp(classes[i].label, it->label) == 0)
				break;
		}
		if (i == class_count) {
			if (class_count == MAX_CLASSES)
				die("more than %d labels in %s", MAX_CLASSES,
				    path);
			classes[class_count++].label = it->label;
		}
		it->class = i;
	}
	free(line);
	fclose(f);
	if (item_count == 0)
		die("no items in %s", path);
}

/* --- connections ----------------------------------------------------- */

static void conn_flush(struct conn *c)
{
	ssize_t n;

	while (c->out_pos < c->out_len) {
		n = send(c->fd, c->out + c->out_pos, c->out_len - c->out_pos,
			 MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0)
			die("write to smtpd: %s", strerror(errno));
		c->out_pos += (size_t)n;
	}
	c->out_pos = c->out_len = 0;
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
	if (example_count == MAX_EXAMPLES)
		return;
	snprintf(examples[example_count++], EXAMPLE_SIZE,
		 "%s: %s as %s: expected %s, got %.200s", it->label,
		 it->person, it->sender, it->ok ? "accept" : "refuse", reply);
}

static void decided(struct conn *c, int code, const char *reply)
{
	const struct item *it = &items[c->item];
	struct class *cl = &classes[it->class];
	double t = now();

	latencies[done_count++] = t - c->mail_sent;
	if (cl->n == cl->cap) {
		cl->cap = cl->cap * 2 + 1024;
		cl->lat = xrealloc(cl->lat, cl->cap * sizeof(double));
	}
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

/* conn_read - one read; handles the complete reply lines */
static void conn_read(struct conn *c)
{
	char *p, *end, *nl;
	ssize_t n;
	int code;

	if (c->in_len == IN_SIZE)
		die("a reply line is longer than %d bytes", IN_SIZE);
	n = read(c->fd, c->in + c->in_len, IN_SIZE - c->in_len - 1);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		      errno == EINTR))
		return;
	if (n < 0)
		die("read from smtpd: %s", strerror(errno));
	if (n == 0) {
		if (c->state == S_QUIT)
			return;
		die("smtpd closed a connection (state %d, last reply: %s)",
		    c->state, c->last_reply);
	}
	c->in_len += (size_t)n;
	p = c->in;
	end = c->in + c->in_len;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		if (strlen(p) < 3 || p[0] < '1' || p[0] > '5' ||
		    p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9' ||
		    (p[3] != '\0' && p[3] != ' ' && p[3] != '-'))
			die("not an SMTP reply line: %.200s", p);
		code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
		if (p[3] != '-')
			reply(c, code, p);
		p = nl + 1;
	}
	c->in_len = (size_t)(end - p);
	memmove(c->in, p, c->in_len);
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* percentile - as bench.py's: sorted[min(n - 1, int(n * q))] */
static double percentile(const double *sorted, unsigned long n, double q)
{
	unsigned long i;

	if (n == 0)
		return 0;
	i = (unsigned long)(n * q);
	return sorted[i < n - 1 ? i : n - 1];
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
	double seconds = 5, setup_s, elapsed;
	struct rusage ru;
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
	items_load(file);
	conns = calloc(n_conns, sizeof(*conns));
	latencies = calloc(max_decisions, sizeof(*latencies));
	if (conns == NULL || latencies == NULL)
		die("out of memory");
	setup_s = run(host, port, seconds);
	elapsed = last_done - t_start > 1e-6 ? last_done - t_start : 1e-6;
	getrusage(RUSAGE_SELF, &ru);
	qsort(latencies, done_count, sizeof(double), cmp_double);
	printf("done=%lu\nelapsed=%.6f\naccepted=%lu\nrefused=%lu\n"
	       "wrong=%lu\ntemp=%lu\np50_ms=%.4f\np99_ms=%.4f\nmax_ms=%.4f\n"
	       "cpu_s=%.4f\nsetup_s=%.4f\n", done_count, elapsed,
	       accepted_count, refused_count, wrong_count, temp_count,
	       percentile(latencies, done_count, 0.5) * 1000,
	       percentile(latencies, done_count, 0.99) * 1000,
	       done_count ? latencies[done_count - 1] * 1000 : 0,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, setup_s);
	for (i = 0; i < class_count; i++) {
		struct class *cl = &classes[i];

		qsort(cl->lat, cl->n, sizeof(double), cmp_double);
		printf("class=%s %lu %.4f %.4f\n", cl->label, cl->n,
		       percentile(cl->lat, cl->n, 0.5) * 1000,
		       percentile(cl->lat, cl->n, 0.99) * 1000);
	}
	for (i = 0; i < example_count; i++)
		printf("example=%s\n", examples[i]);
	return 0;
}
