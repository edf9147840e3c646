/* login-split - split a composite login into person and target.

   The rule is deterministic so that admins can predict it: the configured
   separators are looked for in their configured order, the first one that
   occurs in the login is the split point, and it must occur exactly once.
   An address that itself contains that separator cannot be split
   unambiguously and is rejected; such a person logs in by uid instead.
   Everything that is not a plausible login (control bytes, spaces,
   invalid UTF-8, over-long input) is rejected here, at the edge, so later
   layers never see it. */

#include "login-split.h"
#include "arena.h"
#include "text-fold.h"

#include <string.h>

int login_part_check(const char *part, size_t len, const char **error_r)
{
	const unsigned char *p = (const unsigned char *)part;
	size_t i, seq;

	if (len == 0) {
		*error_r = "empty part";
		return -1;
	}
	if (len > LOGIN_PART_MAX_LEN) {
		*error_r = "part longer than 256 bytes";
		return -1;
	}
	for (i = 0; i < len; i += seq) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			*error_r = "control character";
			return -1;
		}
		if (p[i] == ' ') {
			*error_r = "space character";
			return -1;
		}
		if (text_utf8_decode(p + i, len - i, &seq) < 0)
			seq = 0;
		if (seq == 0) {
			*error_r = "invalid UTF-8";
			return -1;
		}
	}
	return 0;
}

enum login_split_result
login_split(const char *login, const struct login_split_settings *set,
	    struct arena *arena, struct login_parts *parts_r,
	    const char **error_r)
{
	const char *sep, *first = NULL, *left, *right;
	size_t len = strnlen(login, LOGIN_MAX_LEN + 1);
	size_t left_len, right_len;
	const char *part_error;

	memset(parts_r, 0, sizeof(*parts_r));
	if (len > LOGIN_MAX_LEN) {
		*error_r = "login longer than 512 bytes";
		return LOGIN_SPLIT_INVALID;
	}
	for (sep = set->separators; *sep != '\0'; sep++) {
		first = memchr(login, *sep, len);
		if (first != NULL)
			break;
	}
	if (first == NULL)
		return LOGIN_SPLIT_NONE;
	if (memchr(first + 1, *sep, len - (size_t)(first + 1 - login)) != NULL) {
		*error_r = "separator occurs more than once";
		return LOGIN_SPLIT_INVALID;
	}

	left = login;
	left_len = (size_t)(first - login);
	right = first + 1;
	right_len = len - left_len - 1;
	if (login_part_check(left, left_len, &part_error) < 0) {
		*error_r = arena_printf(arena, "%s part: %s",
			set->order == LOGIN_ORDER_PERSON_FIRST ?
			"person" : "target", part_error);
		return LOGIN_SPLIT_INVALID;
	}
	if (login_part_check(right, right_len, &part_error) < 0) {
		*error_r = arena_printf(arena, "%s part: %s",
			set->order == LOGIN_ORDER_PERSON_FIRST ?
			"target" : "person", part_error);
		return LOGIN_SPLIT_INVALID;
	}

	parts_r->separator = *sep;
	if (set->order == LOGIN_ORDER_PERSON_FIRST) {
		parts_r->person = arena_strndup(arena, left, left_len);
		parts_r->target = arena_strndup(arena, right, right_len);
	} else {
		parts_r->target = arena_strndup(arena, left, left_len);
		parts_r->person = arena_strndup(arena, right, right_len);
	}
	return LOGIN_SPLIT_OK;
}
