/* acl-right - right levels of univentionMailACL, weakest to strongest. */

#include "acl-right.h"

#include <string.h>

static const struct {
	const char *name;
	const char *imap_rights;
} acl_rights[ACL_RIGHT_COUNT] = {
	[ACL_RIGHT_NONE] = { "none", "" },
	[ACL_RIGHT_READ] = { "read", "lrws" },
	[ACL_RIGHT_POST] = { "post", "lrwsp" },
	[ACL_RIGHT_APPEND] = { "append", "lrwspi" },
	[ACL_RIGHT_WRITE] = { "write", "lrwspite" },
	[ACL_RIGHT_ALL] = { "all", "lrwspitekxa" },
};

int acl_right_parse(const char *name, size_t len, enum acl_right *right_r)
{
	int i;

	for (i = 0; i < ACL_RIGHT_COUNT; i++) {
		if (strlen(acl_rights[i].name) == len &&
		    strncmp(acl_rights[i].name, name, len) == 0) {
			*right_r = (enum acl_right)i;
			return 0;
		}
	}
	return -1;
}

const char *acl_right_name(enum acl_right right)
{
	if (right < 0 || right >= ACL_RIGHT_COUNT)
		return "unset";
	return acl_rights[right].name;
}

const char *acl_right_imap_rights(enum acl_right right)
{
	if (right < 0 || right >= ACL_RIGHT_COUNT)
		return "";
	return acl_rights[right].imap_rights;
}

int acl_value_parse(const char *value, const char **identifier_r,
		    size_t *identifier_len_r, enum acl_right *right_r,
		    const char **error_r)
{
	const char *space = strrchr(value, ' ');
	size_t id_len;

	if (space == NULL) {
		*error_r = "no space between identifier and right";
		return -1;
	}
	if (acl_right_parse(space + 1, strlen(space + 1), right_r) < 0) {
		*error_r = "unknown right";
		return -1;
	}
	id_len = (size_t)(space - value);
	while (id_len > 0 && value[id_len - 1] == ' ')
		id_len--;
	if (id_len == 0) {
		*error_r = "empty identifier";
		return -1;
	}
	*identifier_r = value;
	*identifier_len_r = id_len;
	return 0;
}
