#ifndef LDAP_POOL_H
#define LDAP_POOL_H

/* ldap-pool - asynchronous access to the directory over a few reused
   connections. Searches are pipelined over ldap_connections service
   connections (bound as ldap_bind_dn). Person binds go over separate
   ldap_bind_connections, one bind in flight each, and those connections
   are never used for searches, so a connection bound as a person cannot
   leak that identity into anyone's lookup. All URIs are tried in order on
   (re)connect. Every operation ends in exactly one callback: OK, rejected
   credentials (binds), or a temporary failure (down, timeout, busy). */

#include "fa-loop.h"

struct arena;
struct fa_settings;
struct ldap_pool;
struct ldap_op;

enum ldap_op_result {
	/* the directory is unreachable, slow or failed: try again later */
	LDAP_OP_TEMPFAIL = -1,
	/* the bind was refused: wrong password, no password, ... */
	LDAP_OP_INVALID_CREDENTIALS = 0,
	LDAP_OP_OK = 1,
};

enum ldap_pool_scope {
	LDAP_POOL_SCOPE_BASE,
	LDAP_POOL_SCOPE_SUBTREE,
};

/* one attribute type of an entry: values of "uid" and of its tagged
   subtypes ("uid;lang-de") together, as LDAP matching sees them */
struct ldap_attr {
	/* without options, as the directory spelled it */
	const char *name;
	/* the untagged description's values first, then the subtypes' */
	const char *const *values;
	unsigned int value_count;
	/* how many of values are the untagged description's: what a
	   reader of "uid" itself (UCS, OX) sees */
	unsigned int untagged_count;
};

struct ldap_entry {
	const char *dn;
	const struct ldap_attr *attrs;
	unsigned int attr_count;
};

/* entries are allocated from the arena given to ldap_pool_search() */
typedef void ldap_search_callback_t(enum ldap_op_result result,
				    const char *error,
				    const struct ldap_entry *entries,
				    unsigned int entry_count, void *context);
typedef void ldap_bind_callback_t(enum ldap_op_result result,
				  const char *error, void *context);

struct ldap_pool *ldap_pool_init(const struct fa_settings *set,
				 struct fa_loop *loop);
/* ldap_pool_deinit - fails every pending operation temporarily */
void ldap_pool_deinit(struct ldap_pool **pool_p);

/* ldap_pool_search - search below (or at) base for at most size_limit
   entries (> 0; ask for 2 to tell "one" from "several"). A callback with
   LDAP_OP_OK has the complete answer, or exactly size_limit entries when
   there are more. Anything less is a temporary failure saying why: the
   directory's own size or time limit cut the answer short, a referral,
   a missing base, a value with a NUL byte, more attributes or values
   than the bounds below. base, filter and attrs must stay valid until
   the callback; results are copied into arena. */
struct ldap_op *
ldap_pool_search(struct ldap_pool *pool, struct arena *arena,
		 const char *base, enum ldap_pool_scope scope,
		 const char *filter,
		 const char *const *attrs, int size_limit,
		 unsigned int timeout_msecs,
		 ldap_search_callback_t *callback, void *context);
/* timeout_msecs: the operation fails temporarily if it has no answer by
   then (queued or sent); a sent one also costs its connection, which a
   server that leaves one request unanswered is not trusted with again */

/* ldap_pool_bind - simple bind as dn with password (copied, wiped after
   use). An empty password is refused here without contacting the
   directory: RFC 4513 makes it an anonymous bind, which would "succeed". */
struct ldap_op *
ldap_pool_bind(struct ldap_pool *pool, const char *dn, const char *password,
	       unsigned int timeout_msecs,
	       ldap_bind_callback_t *callback, void *context);
/* ldap_op_cancel - forget the operation; its callback is not called */
void ldap_op_cancel(struct ldap_op **op_p);

/* ldap_entry_attr - attr with its tagged subtypes (case-insensitive
   name), or NULL */
const struct ldap_attr *
ldap_entry_attr(const struct ldap_entry *entry, const char *name);
/* ldap_entry_values - the untagged values of attr (none if absent) */
const char *const *
ldap_entry_values(const struct ldap_entry *entry, const char *name,
		  unsigned int *count_r);
/* ldap_entry_first - the first untagged value of attr, or NULL */
const char *ldap_entry_first(const struct ldap_entry *entry, const char *name);

#endif
