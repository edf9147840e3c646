/* acl-right - right levels of univentionMailACL, weakest to strongest. */

#include "acl-right.h"

#include "text-fold.h"

#include <string.h>
#include <strings.h>

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
		    strncasecmp(acl_rights[i].name, name, len) == 0) {
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

static enum acl_identifier_kind acl_identifier_kind(const char *identifier)
{
	if (strchr(identifier, '@') != NULL)
		return ACL_IDENTIFIER_PERSON;
	if (strcmp(identifier, "anyone") == 0 ||
	    strcmp(identifier, "authenticated") == 0)
		return ACL_IDENTIFIER_EVERYONE;
	return ACL_IDENTIFIER_GROUP;
}

int acl_value_parse(struct arena *arena, const char *value,
		    struct acl_value *value_r, const char **error_r)
{
	size_t len = strlen(value), right_start, id_end;

	while (len > 0 && text_is_space(value[len - 1]))
		len--;
	right_start = len;
	while (right_start > 0 && !text_is_space(value[right_start - 1]))
		right_start--;
	id_end = right_start;
	while (id_end > 0 && text_is_space(value[id_end - 1]))
		id_end--;

	value_r->right = ACL_RIGHT_UNSET;
	value_r->identifier = text_fold_name(arena, value, id_end);
	value_r->written = text_join_words(arena, value, id_end);
	value_r->kind = acl_identifier_kind(value_r->identifier);
	if (value_r->identifier[0] == '\0') {
		value_r->identifier = text_fold_name(arena, value, len);
		value_r->written = text_join_words(arena, value, len);
		*error_r = len == 0 ? "empty value" :
			"no identifier before the right";
		return -1;
	}
	if (acl_right_parse(value + right_start, len - right_start,
			    &value_r->right) < 0) {
		value_r->identifier = text_fold_name(arena, value, len);
		value_r->written = text_join_words(arena, value, len);
		*error_r = "unknown right";
		return -1;
	}
	return 0;
}
