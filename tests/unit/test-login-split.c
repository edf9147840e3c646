/* test-login-split - composite logins split as SPEC "Login forms" says:
   person first (or target first when configured), separators tried in
   their configured order, everything implausible rejected at the edge. */

#include "login-split.h"
#include "arena.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static struct arena arena;
static struct login_parts parts;
static const char *error;

static const struct login_split_settings person_first = {
	.separators = "/*", .order = LOGIN_ORDER_PERSON_FIRST
};
static const struct login_split_settings target_first = {
	.separators = "/*", .order = LOGIN_ORDER_TARGET_FIRST
};

static void setup(void)
{
	arena_init(&arena, 256);
	memset(&parts, 0, sizeof(parts));
	error = NULL;
}

static void teardown(void)
{
	arena_free(&arena);
}

static enum login_split_result split(const char *login,
				     const struct login_split_settings *set)
{
	return login_split(login, set, &arena, &parts, &error);
}

/* repeat - a string of n copies of c, from the arena */
static char *repeat(char c, size_t n)
{
	char *s = arena_alloc(&arena, n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

#define ck_assert_invalid(login, set, why) do { \
	error = NULL; \
	ck_assert_int_eq(split(login, set), LOGIN_SPLIT_INVALID); \
	ck_assert_ptr_nonnull(error); \
	ck_assert_msg(strstr(error, why) != NULL, \
		      "error for login \"%s\" is \"%s\", expected it to " \
		      "mention \"%s\"", login, error, why); \
} while (0)

/* --- the separators and the order --- */

START_TEST(test_slash_splits_person_then_target)
{
	ck_assert_int_eq(split("alice@example.com/info@example.com",
			       &person_first), LOGIN_SPLIT_OK);
	ck_assert_str_eq(parts.person, "alice@example.com");
	ck_assert_str_eq(parts.target, "info@example.com");
	ck_assert_int_eq(parts.separator, '/');
}
END_TEST

START_TEST(test_star_splits_person_then_target)
{
	ck_assert_int_eq(split("alice@example.com*info@example.com",
			       &person_first), LOGIN_SPLIT_OK);
	ck_assert_str_eq(parts.person, "alice@example.com");
	ck_assert_str_eq(parts.target, "info@example.com");
	ck_assert_int_eq(parts.separator, '*');
}
END_TEST

START_TEST(test_person_may_log_in_by_uid)
{
	ck_assert_int_eq(split("alice/info@example.com", &person_first),
			 LOGIN_SPLIT_OK);
	ck_assert_str_eq(parts.person, "alice");
	ck_assert_str_eq(parts.target, "info@example.com");
}
END_TEST

START_TEST(test_target_first_order_reads_target_then_person)
{
	ck_assert_int_eq(split("info@example.com*alice@example.com",
			       &target_first), LOGIN_SPLIT_OK);
	ck_assert_str_eq(parts.target, "info@example.com");
	ck_assert_str_eq(parts.person, "alice@example.com");
	ck_assert_int_eq(parts.separator, '*');

	ck_assert_int_eq(split("info@example.com/alice@example.com",
			       &target_first), LOGIN_SPLIT_OK);
	ck_assert_str_eq(parts.target, "info@example.com");
	ck_assert_str_eq(parts.person, "alice@example.com");
	ck_assert_int_eq(parts.separator, '/');
}
END_TEST

START_TEST(test_backslash_can_be_the_separator)
{
	const struct login_split_settings backslash = {
		.separators = "\\", .order = LOGIN_ORDER_PERSON_FIRST
	};

	ck_assert_int_eq(split("alice@example.com\\info@example.com",
			       &backslash), LOGIN_SPLIT_OK);
	ck_assert_str_eq(parts.person, "alice@example.com");
	ck_assert_str_eq(parts.target, "info@example.com");
	ck_assert_int_eq(parts.separator, '\\');
	/* the default separators mean nothing when not configured */
	ck_assert_int_eq(split("alice@example.com/info@example.com",
			       &backslash), LOGIN_SPLIT_NONE);
}
END_TEST

START_TEST(test_first_configured_separator_wins)
{
	const struct login_split_settings star_first = {
		.separators = "*/", .order = LOGIN_ORDER_PERSON_FIRST
	};

	/* '/' is tried first; the '*' stays inside the person's address */
	ck_assert_int_eq(split("a*b@example.com/info@example.com",
			       &person_first), LOGIN_SPLIT_OK);
	ck_assert_int_eq(parts.separator, '/');
	ck_assert_str_eq(parts.person, "a*b@example.com");
	ck_assert_str_eq(parts.target, "info@example.com");

	/* configured the other way round, the same login splits at '*' */
	ck_assert_int_eq(split("a*b@example.com/info@example.com",
			       &star_first), LOGIN_SPLIT_OK);
	ck_assert_int_eq(parts.separator, '*');
	ck_assert_str_eq(parts.person, "a");
	ck_assert_str_eq(parts.target, "b@example.com/info@example.com");
}
END_TEST

START_TEST(test_parts_are_copies_from_the_arena)
{
	char login[] = "alice@example.com/info@example.com";

	ck_assert_int_eq(split(login, &person_first), LOGIN_SPLIT_OK);
	memset(login, 'x', sizeof(login) - 1);
	ck_assert_str_eq(parts.person, "alice@example.com");
	ck_assert_str_eq(parts.target, "info@example.com");
}
END_TEST

/* --- what is not ours --- */

START_TEST(test_login_without_separator_is_not_ours)
{
	ck_assert_int_eq(split("alice@example.com", &person_first),
			 LOGIN_SPLIT_NONE);
	ck_assert_ptr_null(parts.person);
	ck_assert_ptr_null(parts.target);
	ck_assert_int_eq(split("alice", &target_first), LOGIN_SPLIT_NONE);
}
END_TEST

/* --- what is rejected --- */

START_TEST(test_separator_twice_is_invalid)
{
	ck_assert_invalid("alice@example.com/info@example.com/x",
			  &person_first, "more than once");
	ck_assert_invalid("alice*info*x", &person_first, "more than once");
	/* '/' occurs twice: that the '*' occurs once does not rescue it */
	ck_assert_invalid("a/b*c/d", &person_first, "more than once");
	ck_assert_invalid("//", &person_first, "more than once");
}
END_TEST

START_TEST(test_empty_person_part_is_invalid_and_named)
{
	ck_assert_invalid("/info@example.com", &person_first, "person");
	ck_assert_invalid("/info@example.com", &person_first, "empty");
	/* target first: the empty part after the separator is the person */
	ck_assert_invalid("info@example.com/", &target_first, "person");
	ck_assert_invalid("info@example.com/", &target_first, "empty");
}
END_TEST

START_TEST(test_empty_target_part_is_invalid_and_named)
{
	ck_assert_invalid("alice@example.com/", &person_first, "target");
	ck_assert_invalid("alice@example.com*", &person_first, "empty");
	ck_assert_invalid("/alice@example.com", &target_first, "target");
	ck_assert_invalid("/alice@example.com", &target_first, "empty");
	ck_assert_invalid("*", &person_first, "empty");
}
END_TEST

START_TEST(test_login_of_512_bytes_is_accepted)
{
	char *person = repeat('p', 256), *target = repeat('t', 255);
	char *login = arena_printf(&arena, "%s/%s", person, target);

	ck_assert_uint_eq(strlen(login), LOGIN_MAX_LEN);
	ck_assert_int_eq(split(login, &person_first), LOGIN_SPLIT_OK);
	ck_assert_str_eq(parts.person, person);
	ck_assert_str_eq(parts.target, target);
}
END_TEST

START_TEST(test_overlong_login_is_invalid)
{
	char *login = arena_printf(&arena, "%s/%s", repeat('p', 256),
				   repeat('t', 256));

	ck_assert_uint_eq(strlen(login), LOGIN_MAX_LEN + 1);
	ck_assert_invalid(login, &person_first, "longer than 512");
	/* rejected, not truncated, also far beyond the limit */
	login = arena_printf(&arena, "alice/%s", repeat('t', 4000));
	ck_assert_invalid(login, &person_first, "longer than 512");
}
END_TEST

START_TEST(test_overlong_part_is_invalid_and_named)
{
	char *login;

	login = arena_printf(&arena, "%s/info@example.com", repeat('p', 257));
	ck_assert_invalid(login, &person_first, "person part");
	ck_assert_invalid(login, &person_first, "longer than 256");

	login = arena_printf(&arena, "alice/%s", repeat('t', 257));
	ck_assert_invalid(login, &person_first, "target part");
	ck_assert_invalid(login, &person_first, "longer than 256");
}
END_TEST

START_TEST(test_control_characters_are_invalid)
{
	ck_assert_invalid("alice\t@example.com/info@example.com",
			  &person_first, "person part: control");
	ck_assert_invalid("alice@example.com/info@example.com\r",
			  &person_first, "target part: control");
	ck_assert_invalid("alice@example.com/info\n@example.com",
			  &person_first, "control");
	ck_assert_invalid("alice\x01/info@example.com", &person_first,
			  "control");
	ck_assert_invalid("alice\x1b[0m/info@example.com", &person_first,
			  "control");
	ck_assert_invalid("alice\x7f/info@example.com", &person_first,
			  "control");
}
END_TEST

START_TEST(test_spaces_are_invalid)
{
	ck_assert_invalid("alice smith/info@example.com", &person_first,
			  "person part: space");
	ck_assert_invalid("alice/info@example.com ", &person_first,
			  "target part: space");
	ck_assert_invalid(" alice/info@example.com", &person_first, "space");
}
END_TEST

START_TEST(test_invalid_utf8_is_invalid)
{
	/* a lone continuation byte */
	ck_assert_invalid("\x80lice/info@example.com", &person_first,
			  "person part: invalid UTF-8");
	/* an overlong encoding of NUL */
	ck_assert_invalid("alice/info\xc0\x80@example.com", &person_first,
			  "target part: invalid UTF-8");
	/* an overlong encoding of '/' must not smuggle a separator */
	ck_assert_invalid("alice\xc0\xafinfo@example.com/x", &person_first,
			  "invalid UTF-8");
	/* a UTF-16 surrogate */
	ck_assert_invalid("alice\xed\xa0\x80/info@example.com", &person_first,
			  "invalid UTF-8");
	/* a three-byte overlong and a four-byte overlong */
	ck_assert_invalid("alice\xe0\x80\xaf/info@example.com", &person_first,
			  "invalid UTF-8");
	ck_assert_invalid("alice\xf0\x80\x80\xaf/info@example.com",
			  &person_first, "invalid UTF-8");
	/* beyond U+10FFFF, and bytes that never occur in UTF-8 */
	ck_assert_invalid("alice\xf4\x90\x80\x80/info@example.com",
			  &person_first, "invalid UTF-8");
	ck_assert_invalid("alice\xff/info@example.com", &person_first,
			  "invalid UTF-8");
	/* a sequence cut short by the separator */
	ck_assert_invalid("j\xc3/info@example.com", &person_first,
			  "person part: invalid UTF-8");
	ck_assert_invalid("alice/info\xe2\x82", &person_first,
			  "target part: invalid UTF-8");
}
END_TEST

START_TEST(test_valid_utf8_is_accepted)
{
	ck_assert_int_eq(split("j\xc3\xb6rg@example.com/info@example.com",
			       &person_first), LOGIN_SPLIT_OK);
	ck_assert_str_eq(parts.person, "j\xc3\xb6rg@example.com");
	ck_assert_str_eq(parts.target, "info@example.com");

	/* three- and four-byte sequences, up to U+10FFFF */
	ck_assert_int_eq(split("alice/\xe2\x82\xac@example.com",
			       &person_first), LOGIN_SPLIT_OK);
	ck_assert_int_eq(split("alice/\xf0\x9f\x98\x80@example.com",
			       &person_first), LOGIN_SPLIT_OK);
	ck_assert_int_eq(split("alice/\xf4\x8f\xbf\xbf", &person_first),
			 LOGIN_SPLIT_OK);
}
END_TEST

/* --- login_part_check, as used for SASL authzid and authcid --- */

START_TEST(test_part_check_accepts_a_plain_address)
{
	error = NULL;
	ck_assert_int_eq(login_part_check("alice@example.com", 17, &error), 0);
	ck_assert_int_eq(login_part_check("j\xc3\xb6rg", 5, &error), 0);
	/* separators are not its business */
	ck_assert_int_eq(login_part_check("a*b/c", 5, &error), 0);
	ck_assert_ptr_null(error);
}
END_TEST

START_TEST(test_part_check_looks_only_at_len_bytes)
{
	ck_assert_int_eq(login_part_check("alice info", 5, &error), 0);
	ck_assert_int_eq(login_part_check("alice info", 6, &error), -1);
	ck_assert_str_eq(error, "space character");
}
END_TEST

START_TEST(test_part_check_rejects_empty)
{
	ck_assert_int_eq(login_part_check("", 0, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "empty"));
}
END_TEST

START_TEST(test_part_check_limits_length_to_256)
{
	char *part = repeat('a', LOGIN_PART_MAX_LEN + 1);

	ck_assert_int_eq(login_part_check(part, LOGIN_PART_MAX_LEN, &error), 0);
	ck_assert_int_eq(login_part_check(part, LOGIN_PART_MAX_LEN + 1,
					  &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "longer than 256"));
}
END_TEST

START_TEST(test_part_check_rejects_control_space_and_bad_utf8)
{
	ck_assert_int_eq(login_part_check("al\nice", 6, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "control"));
	ck_assert_int_eq(login_part_check("al ice", 6, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "space"));
	ck_assert_int_eq(login_part_check("\x80", 1, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "UTF-8"));
	ck_assert_int_eq(login_part_check("a\xc0\x80", 3, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "UTF-8"));
	ck_assert_int_eq(login_part_check("a\xed\xa0\x80", 4, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "UTF-8"));
	/* a valid two-byte sequence cut off by len */
	ck_assert_int_eq(login_part_check("j\xc3\xb6", 2, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "UTF-8"));
}
END_TEST

static Suite *login_split_suite(void)
{
	Suite *s = suite_create("login-split");
	TCase *tc;

	tc = tcase_create("forms");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_slash_splits_person_then_target);
	tcase_add_test(tc, test_star_splits_person_then_target);
	tcase_add_test(tc, test_person_may_log_in_by_uid);
	tcase_add_test(tc, test_target_first_order_reads_target_then_person);
	tcase_add_test(tc, test_backslash_can_be_the_separator);
	tcase_add_test(tc, test_first_configured_separator_wins);
	tcase_add_test(tc, test_parts_are_copies_from_the_arena);
	tcase_add_test(tc, test_login_without_separator_is_not_ours);
	suite_add_tcase(s, tc);

	tc = tcase_create("rejected");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_separator_twice_is_invalid);
	tcase_add_test(tc, test_empty_person_part_is_invalid_and_named);
	tcase_add_test(tc, test_empty_target_part_is_invalid_and_named);
	tcase_add_test(tc, test_login_of_512_bytes_is_accepted);
	tcase_add_test(tc, test_overlong_login_is_invalid);
	tcase_add_test(tc, test_overlong_part_is_invalid_and_named);
	tcase_add_test(tc, test_control_characters_are_invalid);
	tcase_add_test(tc, test_spaces_are_invalid);
	tcase_add_test(tc, test_invalid_utf8_is_invalid);
	tcase_add_test(tc, test_valid_utf8_is_accepted);
	suite_add_tcase(s, tc);

	tc = tcase_create("part-check");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_part_check_accepts_a_plain_address);
	tcase_add_test(tc, test_part_check_looks_only_at_len_bytes);
	tcase_add_test(tc, test_part_check_rejects_empty);
	tcase_add_test(tc, test_part_check_limits_length_to_256);
	tcase_add_test(tc, test_part_check_rejects_control_space_and_bad_utf8);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(login_split_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
