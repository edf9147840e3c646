/* load-common.h - what the load generators bench/auth-load.c and
   bench/smtp-load.c share: error exit, allocation, the monotonic clock,
   reading the items file, non-blocking socket output and input by lines,
   the examples of wrong replies and the results' statistics.

   Static helpers, no library: each generator is still built from its one
   .c file (cc -O2 -Wall -o auth-load auth-load.c), this header found
   beside it. Define LOAD_PROG, the program's name (the prefix of its
   error messages), before including it. */

#ifndef LOAD_COMMON_H
#define LOAD_COMMON_H

#ifndef LOAD_PROG
#error "define LOAD_PROG (the program's name) before including load-common.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_EXAMPLES 5
#define EXAMPLE_SIZE 512

static void die(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* die - the message on stderr, exit status 2 */
static void die(const char *fmt, ...)
{
	va_list args;

	fputs(LOAD_PROG ": ", stderr);
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

/* grow - p, an array of *cap elements of `size` bytes of which n are
   used, with room for one more (reallocated, *cap raised, when full) */
static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n == *cap) {
		*cap = *cap * 2 + 1024;
		p = xrealloc(p, *cap * size);
	}
	return p;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- items ----------------------------------------------------------- */

/* items_read - add(line, path) for every non-empty line of the items file
   path, its line end cut off; dies if it cannot be read or has none */
static void items_read(const char *path,
		       void (*add)(char *line, const char *path))
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t size = 0;
	unsigned long count = 0;

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	while (getline(&line, &size, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		add(line, path);
		count++;
	}
	free(line);
	fclose(f);
	if (count == 0)
		die("no items in %s", path);
}

/* --- connections ----------------------------------------------------- */

/* out_flush - write out[*pos, *len) to fd, as far as the socket takes it;
   all written: *pos = *len = 0. peer names the other side in errors. */
static void out_flush(int fd, const char *out, size_t *pos, size_t *len,
		      const char *peer)
{
	ssize_t n;

	while (*pos < *len) {
		n = send(fd, out + *pos, *len - *pos, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0)
			die("write to %s: %s", peer, strerror(errno));
		*pos += (size_t)n;
	}
	*pos = *len = 0;
}

/* in_read - one read() of at most room bytes from fd, after the *len
   bytes held in buf; then line(ctx, text, length) for every complete
   line, its '\n' made a NUL, and the incomplete rest kept at the start of
   buf. Returns the bytes read: 0 at the end of the stream, -1 when none
   are there yet (or the read was interrupted); dies on other errors. */
static ssize_t in_read(int fd, char *buf, size_t *len, size_t room,
		       const char *peer,
		       void (*line)(void *ctx, char *text, size_t length),
		       void *ctx)
{
	char *p, *end, *nl;
	ssize_t n;

	n = read(fd, buf + *len, room);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		      errno == EINTR))
		return -1;
	if (n < 0)
		die("read from %s: %s", peer, strerror(errno));
	if (n == 0)
		return 0;
	*len += (size_t)n;
	p = buf;
	end = buf + *len;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		*nl = '\0';
		line(ctx, p, (size_t)(nl - p));
		p = nl + 1;
	}
	*len = (size_t)(end - p);
	memmove(buf, p, *len);
	return n;
}

/* --- results --------------------------------------------------------- */

/* descriptions of the first MAX_EXAMPLES wrong replies */
static char examples[MAX_EXAMPLES][EXAMPLE_SIZE];
static unsigned int example_count;

static void example_add(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* example_add - one more example= line, unless there are enough */
static void example_add(const char *fmt, ...)
{
	va_list args;

	if (example_count == MAX_EXAMPLES)
		return;
	va_start(args, fmt);
	vsnprintf(examples[example_count++], EXAMPLE_SIZE, fmt, args);
	va_end(args);
}

static void examples_print(void)
{
	unsigned int i;

	for (i = 0; i < example_count; i++)
		printf("example=%s\n", examples[i]);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* sort_doubles - ascending, for percentile() */
static void sort_doubles(double *v, size_t n)
{
	qsort(v, n, sizeof(double), cmp_double);
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

/* cpu_seconds - this process's user + system CPU so far */
static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

#endif
