#ifndef FAKE_LDAP_POOL_H
#define FAKE_LDAP_POOL_H

/* fake-ldap-pool - the ldap-pool.h API answered from a script instead of
   a directory, for unit tests of what sits on top of it (fa-lookup).
   Every search and bind is matched against the script's rules in order;
   the first rule that matches and is not used up answers it, always from
   the loop (never inside the call), at once, after a delay, or only when
   the operation's own timeout_msecs runs out (then, as the real pool
   does, with LDAP_OP_TEMPFAIL). Entries are copied into the caller's
   arena and cut to size_limit, as the real pool does. Every operation is
   recorded, so a test can ask what was asked of the directory. */

#include "ldap-pool.h"

#include <stdbool.h>

enum fake_op_kind {
	FAKE_SEARCH,
	FAKE_BIND,
};

enum fake_scope {
	FAKE_SCOPE_ANY = 0,
	FAKE_SCOPE_BASE,
	FAKE_SCOPE_SUBTREE,
};

enum fake_answer {
	/* search: the entries; bind: success if the password is right */
	FAKE_ANSWER_OK = 0,
	/* LDAP_OP_TEMPFAIL with the rule's error */
	FAKE_ANSWER_TEMPFAIL,
	/* bind: LDAP_OP_INVALID_CREDENTIALS whatever the password */
	FAKE_ANSWER_REFUSED,
};

enum fake_when {
	/* from the loop, without delay */
	FAKE_AT_ONCE = 0,
	/* after after_msecs, unless the operation times out first */
	FAKE_AFTER,
	/* never: the operation fails temporarily at its timeout */
	FAKE_AT_TIMEOUT,
};

struct fake_rule {
	enum fake_op_kind kind;
	/* search: the base exactly; bind: the DN exactly; NULL: any */
	const char *base;
	enum fake_scope scope;
	/* a substring of the filter with its \HH escapes decoded ("uid=x,
	   cn=users" finds "uid\3dx\2ccn\3dusers"); NULL: any */
	const char *filter_has;
	/* how many operations it answers; 0: any number. Rules used up
	   give way to the next matching one, so rules with the same key
	   script answers by call order */
	unsigned int times;

	enum fake_answer answer;
	/* for FAKE_ANSWER_TEMPFAIL and _REFUSED; NULL: a default */
	const char *error;
	const struct ldap_entry *entries;
	unsigned int entry_count;
	/* bind with FAKE_ANSWER_OK: the password the directory accepts
	   (others are refused); NULL: any non-empty one */
	const char *password;
	enum fake_when when;
	unsigned int after_msecs;

	/* operations answered (or being answered) so far */
	unsigned int used;
};

enum fake_call_state {
	FAKE_CALL_PENDING,
	FAKE_CALL_ANSWERED,
	FAKE_CALL_TIMED_OUT,
	FAKE_CALL_CANCELLED,
	FAKE_CALL_FAILED_AT_DEINIT,
};

/* what one ldap_pool_search() or ldap_pool_bind() asked */
struct fake_call {
	enum fake_op_kind kind;
	/* copies */
	char *base;
	char *filter;
	char *password;
	enum ldap_pool_scope scope;
	int size_limit;
	unsigned int timeout_msecs;
	/* index of the rule that answers it, -1 if none matched (it then
	   fails temporarily, and the test should fail too) */
	int rule;
	enum fake_call_state state;
	enum ldap_op_result result;
	/* the password pointer as given to ldap_pool_bind(): the caller's
	   memory, which a test may check is wiped while the caller lives */
	const char *given_password;
};

/* fake_directory_script - answer from rules[count] from now on (kept by
   pointer: the array must outlive the operations); forgets earlier
   calls */
void fake_directory_script(struct fake_rule *rules, unsigned int count);
/* fake_directory_reset - forget the script and the calls */
void fake_directory_reset(void);

unsigned int fake_directory_call_count(void);
const struct fake_call *fake_directory_call(unsigned int i);
/* fake_directory_count - calls of kind (searches: below base, if not
   NULL) */
unsigned int fake_directory_count(enum fake_op_kind kind, const char *base);
/* fake_directory_unscripted - calls no rule matched */
unsigned int fake_directory_unscripted(void);
/* fake_directory_live_ops - operations neither answered nor cancelled */
unsigned int fake_directory_live_ops(void);
/* fake_directory_live_pools - pools initialised and not deinitialised */
unsigned int fake_directory_live_pools(void);

#endif
