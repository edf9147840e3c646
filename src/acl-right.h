#ifndef ACL_RIGHT_H
#define ACL_RIGHT_H

/* acl-right - UCS shared-folder right levels and univentionMailACL values.
   Input: attribute values such as "Domain Users write". Output: the
   identifier and the right; values that do not parse are reported, never
   guessed at. */

#include <stddef.h>

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

/* acl_right_parse - "read" -> ACL_RIGHT_READ; -1 if unknown */
int acl_right_parse(const char *name, size_t len, enum acl_right *right_r);
/* acl_right_name - ACL_RIGHT_READ -> "read" */
const char *acl_right_name(enum acl_right right);
/* acl_right_imap_rights - UCS's IMAP rights for the level, e.g. "lrws" */
const char *acl_right_imap_rights(enum acl_right right);

/* acl_value_parse - split "<identifier> <right>" at the last space.
   The identifier may itself contain spaces ("Domain Users read").
   Returns 0, or -1 with error_r. identifier_r points into value; its
   length is in identifier_len_r. */
int acl_value_parse(const char *value, const char **identifier_r,
		    size_t *identifier_len_r, enum acl_right *right_r,
		    const char **error_r);

#endif
