#ifndef ACL_RIGHT_H
#define ACL_RIGHT_H

/* acl-right - UCS shared-folder right levels and univentionMailACL values.
   Input: attribute values such as "Domain Users write". Output: the
   identifier and the right; values that do not parse are reported, never
   guessed at. */

#include <stddef.h>

struct arena;

enum acl_right {
	/* no value matched at all: distinct from an explicit "none" */
	ACL_RIGHT_UNSET = -1,
	ACL_RIGHT_NONE = 0,
	ACL_RIGHT_READ,
	ACL_RIGHT_POST,
	ACL_RIGHT_APPEND,
	ACL_RIGHT_WRITE,
	ACL_RIGHT_ALL,
};
#define ACL_RIGHT_COUNT (ACL_RIGHT_ALL + 1)

/* acl_right_parse - "read" (any case) -> ACL_RIGHT_READ; -1 if unknown */
int acl_right_parse(const char *name, size_t len, enum acl_right *right_r);
/* acl_right_name - ACL_RIGHT_READ -> "read" */
const char *acl_right_name(enum acl_right right);
/* acl_right_imap_rights - UCS's IMAP rights for the level, e.g. "lrws" */
const char *acl_right_imap_rights(enum acl_right right);

enum acl_identifier_kind {
	/* contains '@': a person, by mail address */
	ACL_IDENTIFIER_PERSON,
	/* "anyone" or "authenticated": everybody who logs in */
	ACL_IDENTIFIER_EVERYONE,
	/* anything else: a group name (never a uid) */
	ACL_IDENTIFIER_GROUP,
};

struct acl_value {
	/* the words before the right, joined by one space and case-folded
	   (text_fold_name); for a value that does not parse, all of its
	   words, so that the caller can tell whom it may have meant */
	const char *identifier;
	/* the same words as written (case kept), for messages */
	const char *written;
	enum acl_identifier_kind kind;
	enum acl_right right;
};

/* acl_value_parse - read "<identifier> <right>" as UCS does: split on any
   white space, the last word is the right (any case), the words before it
   are the identifier ("Domain Users read"). Returns 0, or -1 with
   error_r (value_r->identifier is still set). */
int acl_value_parse(struct arena *arena, const char *value,
		    struct acl_value *value_r, const char **error_r);

#endif
