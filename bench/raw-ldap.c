/* raw-ldap - the raw-libldap ceiling of a functional-account login.

   One process, one thread, N logins in flight. Each login does the LDAP
   work the plugin's passdb must do, in the same shape:

     1. person search and target search, sent at once on the search
        connections (bound as the service DN, requests pipelined);
     2. when the person's entry is in: a simple bind as the person on one
        of B bind connections, one bind in flight per connection (RFC 4511
        4.2.1: nothing else may be sent on a connection while a bind is in
        progress), waiting for a free one in FIFO order;
     3. only for logins marked "needs groups" (access through a group
        ACL): the person's group search, once bind and target are in.

   -M merges steps 1's two searches into one (an OR of both filters, the
   entries told apart by DN), to show what one round trip fewer gives.

   Filters and attribute lists are the plugin's defaults. Everything is
   asynchronous (ldap_search_ext / ldap_sasl_bind) and driven by poll() on
   the connections' sockets with ldap_result(..., zero timeout) draining
   each readable connection. Every answer is checked: one person entry,
   one target entry, bind success, at least one group where needed; any
   other outcome is counted as a wrong result.

   Input (-f): one login per line, tab separated:
     person-login  password  target-mail  needs-groups(0|1)  person-uid
   Output: one line, key=value: logins, seconds, rate, p50_ms, p99_ms,
   errors, cpu_s (this process).

   Build: cc -O2 -Wall -o raw-ldap raw-ldap.c -lldap -llber
   Run:   raw-ldap -H ldap://127.0.0.1:PORT/ -b BASE -D SERVICE_DN -w PW
                   -f logins.tsv [-c 64] [-S 2] [-B 4] [-t 5] [-n 20000] [-M]
*/

#define _GNU_SOURCE
#define LDAP_DEPRECATED 0
#include <ldap.h>
#include <lber.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MSGID_SLOTS 65536

struct login {
	char *person, *password, *target, *uid;
	int needs_groups;
};

enum op_kind { OP_PERSON, OP_TARGET, OP_BIND, OP_GROUP };

struct conn {
	LDAP *ld;
	int fd;
	int is_bind;
	int busy;			/* bind connections: bind in flight */
	unsigned int pending;
	/* msgid & 0xffff -> slot index + 1, and the op kind */
	int *slot_of;
	unsigned char *kind_of;
};

struct slot {
	const struct login *login;
	double started;
	int person_done, target_done, bind_done, group_done;
	int person_count, target_count, group_count;
	int bind_ok, bind_sent, group_sent;
	char *person_dn;
	int failed;
	int next_wait;		/* FIFO of slots waiting for a bind conn */
	int active;
};

static struct login *logins;
static unsigned int login_count, next_login;
static struct conn *search_conns, *bind_conns;
static unsigned int n_search = 2, n_bind = 4;
static struct slot *slots;
static unsigned int concurrency = 64;
static const char *base = "dc=example,dc=com";
static int wait_head = -1, wait_tail = -1;

static double *latencies;
static unsigned long done_count, error_count, issued, max_logins = 20000;
static double deadline;
static int stopping;
/* -M: person and target in one search (an OR of both filters) */
static int merged;

static const char *person_attrs[] = { "mailPrimaryAddress", "uid",
				      "shadowExpire", NULL };
static const char *target_attrs[] = { "mailPrimaryAddress", "uniqueMember",
				      "univentionMailACL", "oxQuota",
				      "univentionMailUserQuota", NULL };
static const char *group_attrs[] = { "cn", NULL };
static const char *merged_attrs[] = { "mailPrimaryAddress", "uid",
				      "shadowExpire", "uniqueMember",
				      "univentionMailACL", "oxQuota",
				      "univentionMailUserQuota", NULL };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "raw-ldap: %s: %s\n", what, ldap_err2string(rc));
	exit(2);
}

/* filter_escape - RFC 4515 escaping of a value */
static char *filter_escape(const char *in)
{
	char *out = malloc(strlen(in) * 3 + 1), *p = out;

	for (; *in != '\0'; in++) {
		if (strchr("*()\\", *in) != NULL)
			p += sprintf(p, "\\%02x", (unsigned char)*in);
		else
			*p++ = *in;
	}
	*p = '\0';
	return out;
}

static void conn_open(struct conn *c, const char *uri, const char *dn,
		      const char *pw, int is_bind)
{
	int version = LDAP_VERSION3, rc;
	struct berval cred;

	if ((rc = ldap_initialize(&c->ld, uri)) != LDAP_SUCCESS)
		die("ldap_initialize", rc);
	ldap_set_option(c->ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	ldap_set_option(c->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	if (!is_bind && dn != NULL) {
		cred.bv_val = (char *)pw;
		cred.bv_len = strlen(pw);
		rc = ldap_sasl_bind_s(c->ld, dn, LDAP_SASL_SIMPLE, &cred,
				      NULL, NULL, NULL);
		if (rc != LDAP_SUCCESS)
			die("service bind", rc);
	} else if ((rc = ldap_connect(c->ld)) != LDAP_SUCCESS) {
		die("ldap_connect", rc);
	}
	if (ldap_get_option(c->ld, LDAP_OPT_DESC, &c->fd) != LDAP_OPT_SUCCESS)
		die("LDAP_OPT_DESC", LDAP_OTHER);
	c->is_bind = is_bind;
	c->slot_of = calloc(MSGID_SLOTS, sizeof(int));
	c->kind_of = calloc(MSGID_SLOTS, 1);
}

static struct conn *pick_search_conn(void)
{
	struct conn *best = &search_conns[0];
	unsigned int i;

	for (i = 1; i < n_search; i++) {
		if (search_conns[i].pending < best->pending)
			best = &search_conns[i];
	}
	return best;
}

static void track(struct conn *c, int msgid, int slot, enum op_kind kind)
{
	c->slot_of[msgid & (MSGID_SLOTS - 1)] = slot + 1;
	c->kind_of[msgid & (MSGID_SLOTS - 1)] = (unsigned char)kind;
	c->pending++;
}

static void send_search(int s, enum op_kind kind, const char *filter,
			const char **attrs)
{
	struct conn *c = pick_search_conn();
	int msgid, rc;

	rc = ldap_search_ext(c->ld, base, LDAP_SCOPE_SUBTREE, filter,
			     (char **)attrs, 0, NULL, NULL, NULL,
			     kind == OP_GROUP ? 256 : 2, &msgid);
	if (rc != LDAP_SUCCESS)
		die("ldap_search_ext", rc);
	track(c, msgid, s, kind);
}

static void slot_finish(int s);

static void send_bind(int s, struct conn *c)
{
	struct slot *sl = &slots[s];
	struct berval cred;
	int msgid, rc;

	cred.bv_val = sl->login->password;
	cred.bv_len = strlen(sl->login->password);
	rc = ldap_sasl_bind(c->ld, sl->person_dn, LDAP_SASL_SIMPLE, &cred,
			    NULL, NULL, &msgid);
	if (rc != LDAP_SUCCESS)
		die("ldap_sasl_bind", rc);
	c->busy = 1;
	sl->bind_sent = 1;
	track(c, msgid, s, OP_BIND);
}

static void request_bind(int s)
{
	unsigned int i;

	for (i = 0; i < n_bind; i++) {
		if (!bind_conns[i].busy) {
			send_bind(s, &bind_conns[i]);
			return;
		}
	}
	slots[s].next_wait = -1;
	if (wait_tail >= 0)
		slots[wait_tail].next_wait = s;
	else
		wait_head = s;
	wait_tail = s;
}

static void bind_conn_free(struct conn *c)
{
	int s;

	c->busy = 0;
	if (wait_head < 0)
		return;
	s = wait_head;
	wait_head = slots[s].next_wait;
	if (wait_head < 0)
		wait_tail = -1;
	send_bind(s, c);
}

static void slot_start(int s)
{
	struct slot *sl = &slots[s];
	const struct login *l;
	char *v, *t, filter[1024];

	if (stopping || issued >= max_logins || now() >= deadline) {
		stopping = 1;
		sl->active = 0;
		return;
	}
	l = &logins[next_login++ % login_count];
	issued++;
	free(sl->person_dn);
	memset(sl, 0, sizeof(*sl));
	sl->login = l;
	sl->active = 1;
	sl->started = now();

	v = filter_escape(l->person);
	t = filter_escape(l->target);
	if (merged) {
		/* one round trip; entries told apart by their DN */
		snprintf(filter, sizeof(filter),
			 "(|(&(objectClass=univentionMail)(|(uid=%s)"
			 "(mailPrimaryAddress=%s)))"
			 "(&(|(objectClass=oxFunctionalAccount)"
			 "(objectClass=univentionMailSharedFolder))"
			 "(mailPrimaryAddress=%s)))", v, v, t);
		send_search(s, OP_PERSON, filter, merged_attrs);
	} else {
		snprintf(filter, sizeof(filter),
			 "(&(objectClass=univentionMail)(|(uid=%s)"
			 "(mailPrimaryAddress=%s)))", v, v);
		send_search(s, OP_PERSON, filter, person_attrs);
		snprintf(filter, sizeof(filter),
			 "(&(|(objectClass=oxFunctionalAccount)"
			 "(objectClass=univentionMailSharedFolder))"
			 "(mailPrimaryAddress=%s))", t);
		send_search(s, OP_TARGET, filter, target_attrs);
	}
	free(v);
	free(t);
}

static void slot_progress(int s)
{
	struct slot *sl = &slots[s];
	char filter[1024], *dn, *uid;

	if (sl->person_done && !sl->bind_sent && !sl->failed) {
		if (sl->person_count != 1 || sl->person_dn == NULL) {
			sl->failed = 1;
		} else {
			request_bind(s);
			sl->bind_sent = 1;
		}
	}
	if (sl->login->needs_groups && !sl->group_sent && sl->bind_done &&
	    sl->target_done && !sl->failed && sl->bind_ok) {
		dn = filter_escape(sl->person_dn);
		uid = filter_escape(sl->login->uid);
		snprintf(filter, sizeof(filter),
			 "(&(objectClass=posixGroup)(|(uniqueMember=%s)"
			 "(memberUid=%s)))", dn, uid);
		free(dn);
		free(uid);
		sl->group_sent = 1;
		send_search(s, OP_GROUP, filter, group_attrs);
		return;
	}
	if (!sl->person_done || !sl->target_done)
		return;
	if (sl->bind_sent && !sl->bind_done)
		return;
	if (sl->group_sent && !sl->group_done)
		return;
	slot_finish(s);
}

static void slot_finish(int s)
{
	struct slot *sl = &slots[s];
	int ok = !sl->failed && sl->person_count == 1 &&
		sl->target_count == 1 && sl->bind_ok &&
		(!sl->login->needs_groups || sl->group_count > 0);

	if (!ok)
		error_count++;
	latencies[done_count++] = now() - sl->started;
	slot_start(s);
}

static void handle_msg(struct conn *c, LDAPMessage *msg, int type)
{
	int msgid = ldap_msgid(msg), idx, s, code = LDAP_OTHER;
	enum op_kind kind;
	struct slot *sl;
	char *dn;

	idx = msgid & (MSGID_SLOTS - 1);
	if (c->slot_of[idx] == 0)
		return;
	s = c->slot_of[idx] - 1;
	kind = (enum op_kind)c->kind_of[idx];
	sl = &slots[s];

	if (type == LDAP_RES_SEARCH_ENTRY) {
		switch (kind) {
		case OP_PERSON:
			dn = ldap_get_dn(c->ld, msg);
			if (merged && strncmp(dn, "uid=", 4) != 0) {
				sl->target_count++;
				ldap_memfree(dn);
				break;
			}
			ldap_memfree(dn);
			if (sl->person_count++ == 0) {
				dn = ldap_get_dn(c->ld, msg);
				sl->person_dn = strdup(dn);
				ldap_memfree(dn);
			}
			break;
		case OP_TARGET:
			sl->target_count++;
			break;
		case OP_GROUP:
			sl->group_count++;
			break;
		default:
			break;
		}
		return;
	}
	if (type != LDAP_RES_SEARCH_RESULT && type != LDAP_RES_BIND)
		return;
	c->slot_of[idx] = 0;
	c->pending--;
	if (ldap_parse_result(c->ld, msg, &code, NULL, NULL, NULL, NULL, 0) !=
	    LDAP_SUCCESS)
		code = LDAP_OTHER;
	switch (kind) {
	case OP_PERSON:
		sl->person_done = 1;
		if (merged)
			sl->target_done = 1;
		if (code != LDAP_SUCCESS && code != LDAP_SIZELIMIT_EXCEEDED)
			sl->failed = 1;
		break;
	case OP_TARGET:
		sl->target_done = 1;
		if (code != LDAP_SUCCESS && code != LDAP_SIZELIMIT_EXCEEDED)
			sl->failed = 1;
		break;
	case OP_GROUP:
		sl->group_done = 1;
		if (code != LDAP_SUCCESS && code != LDAP_SIZELIMIT_EXCEEDED)
			sl->failed = 1;
		break;
	case OP_BIND:
		sl->bind_done = 1;
		sl->bind_ok = code == LDAP_SUCCESS;
		bind_conn_free(c);
		break;
	}
	slot_progress(s);
}

static void drain(struct conn *c)
{
	struct timeval zero = { 0, 0 };
	LDAPMessage *msg;
	int rc;

	while ((rc = ldap_result(c->ld, LDAP_RES_ANY, LDAP_MSG_ONE, &zero,
				 &msg)) > 0) {
		handle_msg(c, msg, rc);
		ldap_msgfree(msg);
	}
	if (rc < 0) {
		int err = LDAP_OTHER;

		ldap_get_option(c->ld, LDAP_OPT_RESULT_CODE, &err);
		die("ldap_result", err);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void load_logins(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *fields[5], *p;
	size_t size = 0, cap = 0;
	unsigned int i;

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	while (getline(&line, &size, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		p = line;
		for (i = 0; i < 5; i++)
			fields[i] = strsep(&p, "\t");
		if (fields[4] == NULL)
			continue;
		if (login_count == cap) {
			cap = cap * 2 + 1024;
			logins = realloc(logins, cap * sizeof(*logins));
		}
		logins[login_count].person = strdup(fields[0]);
		logins[login_count].password = strdup(fields[1]);
		logins[login_count].target = strdup(fields[2]);
		logins[login_count].needs_groups = atoi(fields[3]);
		logins[login_count].uid = strdup(fields[4]);
		login_count++;
	}
	free(line);
	fclose(f);
	if (login_count == 0) {
		fprintf(stderr, "raw-ldap: no logins in %s\n", path);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	const char *uri = NULL, *dn = NULL, *pw = "", *file = NULL;
	double seconds = 5, started, elapsed;
	struct pollfd *pfds;
	struct rusage ru;
	unsigned int i, n;
	int opt;

	while ((opt = getopt(argc, argv, "H:b:D:w:f:c:S:B:t:n:M")) != -1) {
		switch (opt) {
		case 'M': merged = 1; break;
		case 'H': uri = optarg; break;
		case 'b': base = optarg; break;
		case 'D': dn = optarg; break;
		case 'w': pw = optarg; break;
		case 'f': file = optarg; break;
		case 'c': concurrency = (unsigned int)atoi(optarg); break;
		case 'S': n_search = (unsigned int)atoi(optarg); break;
		case 'B': n_bind = (unsigned int)atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'n': max_logins = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: raw-ldap -H uri -b base -D dn -w pw "
				"-f logins.tsv [-c N] [-S search_conns] "
				"[-B bind_conns] [-t secs] [-n max] [-M]\n");
			return 2;
		}
	}
	if (uri == NULL || file == NULL || concurrency == 0 || n_search == 0 ||
	    n_bind == 0) {
		fprintf(stderr, "raw-ldap: -H, -f and non-zero -c/-S/-B "
			"needed\n");
		return 2;
	}
	load_logins(file);
	search_conns = calloc(n_search, sizeof(*search_conns));
	bind_conns = calloc(n_bind, sizeof(*bind_conns));
	for (i = 0; i < n_search; i++)
		conn_open(&search_conns[i], uri, dn, pw, 0);
	for (i = 0; i < n_bind; i++)
		conn_open(&bind_conns[i], uri, NULL, NULL, 1);
	slots = calloc(concurrency, sizeof(*slots));
	latencies = calloc(max_logins + concurrency, sizeof(*latencies));
	pfds = calloc(n_search + n_bind, sizeof(*pfds));
	for (i = 0; i < n_search; i++)
		pfds[i].fd = search_conns[i].fd;
	for (i = 0; i < n_bind; i++)
		pfds[n_search + i].fd = bind_conns[i].fd;
	n = n_search + n_bind;

	started = now();
	deadline = started + seconds;
	for (i = 0; i < concurrency; i++)
		slot_start((int)i);
	for (;;) {
		int active = 0;

		for (i = 0; i < concurrency; i++)
			active += slots[i].active;
		if (active == 0)
			break;
		for (i = 0; i < n; i++)
			pfds[i].events = POLLIN;
		if (poll(pfds, n, 1000) < 0 && errno != EINTR) {
			perror("poll");
			return 2;
		}
		for (i = 0; i < n; i++) {
			if (pfds[i].revents == 0)
				continue;
			drain(i < n_search ? &search_conns[i] :
			      &bind_conns[i - n_search]);
		}
	}
	elapsed = now() - started;
	getrusage(RUSAGE_SELF, &ru);
	qsort(latencies, done_count, sizeof(double), cmp_double);
	printf("logins=%lu seconds=%.3f rate=%.1f p50_ms=%.3f p99_ms=%.3f "
	       "errors=%lu cpu_s=%.3f\n", done_count, elapsed,
	       done_count / elapsed,
	       done_count ? latencies[done_count / 2] * 1000 : 0,
	       done_count ? latencies[(done_count * 99) / 100] * 1000 : 0,
	       error_count,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	return 0;
}
