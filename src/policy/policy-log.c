/* policy-log - where the policy service's lines go (see policy-log.h). */

#include "policy-log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define POLICY_LOG_IDENT "functional-policy"

static FILE *policy_log_file = NULL;
static bool policy_log_syslog = true;
static bool policy_log_want_debug = false;

int policy_log_open(const char *target, bool debug)
{
	policy_log_want_debug = debug;
	if (strcmp(target, "syslog") == 0) {
		openlog(POLICY_LOG_IDENT, LOG_PID, LOG_MAIL);
		policy_log_syslog = true;
		return 0;
	}
	policy_log_syslog = false;
	if (strcmp(target, "stderr") == 0) {
		policy_log_file = stderr;
		return 0;
	}
	policy_log_file = fopen(target, "a");
	if (policy_log_file == NULL)
		return -1;
	setvbuf(policy_log_file, NULL, _IOLBF, 0);
	return 0;
}

bool policy_log_debug(void)
{
	return policy_log_want_debug;
}

void policy_log(enum fa_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {
		"debug", "info", "warning", "error"
	};
	static const int priorities[] = {
		LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR
	};
	char line[4096], stamp[32];
	struct tm tm;
	time_t now;
	va_list args;
	size_t i;

	if (level == FA_LOG_DEBUG && !policy_log_want_debug)
		return;
	va_start(args, fmt);
	vsnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	for (i = 0; line[i] != '\0'; i++) {
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	}
	if (policy_log_syslog) {
		syslog(priorities[level], "%s: %s", names[level], line);
		return;
	}
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(policy_log_file, "%s " POLICY_LOG_IDENT "[%ld]: %s: %s\n",
		stamp, (long)getpid(), names[level], line);
}
