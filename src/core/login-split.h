#ifndef LOGIN_SPLIT_H
#define LOGIN_SPLIT_H

/* login-split - split a composite login into person and target.
   Input: the login as the client sent it. Output: the two parts, or the
   reason the login is rejected. Knows nothing of LDAP or Dovecot. */

#include <stddef.h>

struct arena;

/* Longest login accepted; longer ones are rejected, not truncated. */
#define LOGIN_MAX_LEN 512
/* Longest single part (a mail address is at most 254 octets). */
#define LOGIN_PART_MAX_LEN 256

enum login_order {
	/* <person><sep><target>: our default */
	LOGIN_ORDER_PERSON_FIRST,
	/* <target><sep><person>: Dovecot's native master-user habit */
	LOGIN_ORDER_TARGET_FIRST,
};

struct login_split_settings {
	/* separator characters, tried in this order; NUL-terminated */
	const char *separators;
	enum login_order order;
};

struct login_parts {
	/* the person who authenticates, as typed */
	const char *person;
	/* the functional account to open, as typed */
	const char *target;
	/* the separator the login was split at */
	char separator;
};

enum login_split_result {
	/* the login is malformed; error_r says why */
	LOGIN_SPLIT_INVALID = -1,
	/* no separator: an ordinary login, not a functional one */
	LOGIN_SPLIT_NONE = 0,
	LOGIN_SPLIT_OK = 1,
};

/* login_split - split login at the first configured separator it holds.
   That separator must occur exactly once; other separators may appear
   inside either part. Parts are allocated from arena. */
enum login_split_result
login_split(const char *login, const struct login_split_settings *set,
	    struct arena *arena, struct login_parts *parts_r,
	    const char **error_r);

/* login_part_check - check one part (also an authzid or authcid): not
   empty, not over-long, valid UTF-8, no control characters or spaces.
   Returns 0 if fine, -1 with error_r set. */
int login_part_check(const char *part, size_t len, const char **error_r);

#endif
