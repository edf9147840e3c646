#ifndef POLICY_LOG_H
#define POLICY_LOG_H

/* policy-log - the policy service's log: syslog (facility mail, the
   default: under Postfix's spawn(8) stderr is the client's socket),
   stderr (systemd's journal) or a file. Control characters in a line
   (directory data, Postfix attributes) are written as '?'. */

#include "fa-loop.h"

#include <stdbool.h>

/* policy_log_open - target is "syslog", "stderr" or a file path (opened
   for appending); -1 with errno if the file cannot be opened */
int policy_log_open(const char *target, bool debug);
void policy_log(enum fa_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool policy_log_debug(void);

#endif
