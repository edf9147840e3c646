/* test-acl-right - UCS right levels and univentionMailACL values, as SPEC
   "Directory model" lists them: none < read < post < append < write < all,
   each value "<identifier> <right>", the identifier may hold spaces. */

#include "acl-right.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	enum acl_right right;
	const char *name;
	const char *imap_rights;
} ucs_rights[] = {
	{ ACL_RIGHT_NONE, "none", "" },
	{ ACL_RIGHT_READ, "read", "lrws" },
	{ ACL_RIGHT_POST, "post", "lrwsp" },
	{ ACL_RIGHT_APPEND, "append", "lrwspi" },
	{ ACL_RIGHT_WRITE, "write", "lrwspite" },
	{ ACL_RIGHT_ALL, "all", "lrwspitekxa" },
};
#define UCS_RIGHT_COUNT (sizeof(ucs_rights) / sizeof(ucs_rights[0]))

START_TEST(test_rights_are_ordered_weakest_to_strongest)
{
	ck_assert_int_lt(ACL_RIGHT_UNSET, ACL_RIGHT_NONE);
	ck_assert_int_lt(ACL_RIGHT_NONE, ACL_RIGHT_READ);
	ck_assert_int_lt(ACL_RIGHT_READ, ACL_RIGHT_POST);
	ck_assert_int_lt(ACL_RIGHT_POST, ACL_RIGHT_APPEND);
	ck_assert_int_lt(ACL_RIGHT_APPEND, ACL_RIGHT_WRITE);
	ck_assert_int_lt(ACL_RIGHT_WRITE, ACL_RIGHT_ALL);
	ck_assert_int_eq(ACL_RIGHT_COUNT, (int)UCS_RIGHT_COUNT);
}
END_TEST

START_TEST(test_right_names_round_trip)
{
	enum acl_right right;
	size_t i;

	for (i = 0; i < UCS_RIGHT_COUNT; i++) {
		ck_assert_str_eq(acl_right_name(ucs_rights[i].right),
				 ucs_rights[i].name);
		right = ACL_RIGHT_UNSET;
		ck_assert_msg(acl_right_parse(ucs_rights[i].name,
					      strlen(ucs_rights[i].name),
					      &right) == 0,
			      "\"%s\" does not parse", ucs_rights[i].name);
		ck_assert_int_eq(right, ucs_rights[i].right);
	}
	ck_assert_str_eq(acl_right_name(ACL_RIGHT_UNSET), "unset");
}
END_TEST

START_TEST(test_right_parse_uses_exactly_len_bytes)
{
	enum acl_right right;

	ck_assert_int_eq(acl_right_parse("read only", 4, &right), 0);
	ck_assert_int_eq(right, ACL_RIGHT_READ);
	ck_assert_int_eq(acl_right_parse("rea", 3, &right), -1);
	ck_assert_int_eq(acl_right_parse("readx", 5, &right), -1);
	ck_assert_int_eq(acl_right_parse("", 0, &right), -1);
}
END_TEST

START_TEST(test_unknown_right_names_do_not_parse)
{
	static const char *const bogus[] = {
		"superuser", "admin", "rw", "lrws", "unset", "al",
	};
	enum acl_right right;
	size_t i;

	for (i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
		ck_assert_msg(acl_right_parse(bogus[i], strlen(bogus[i]),
					      &right) == -1,
			      "\"%s\" parsed as a right", bogus[i]);
	}
}
END_TEST

START_TEST(test_rights_map_to_ucs_imap_rights)
{
	size_t i;

	for (i = 0; i < UCS_RIGHT_COUNT; i++) {
		ck_assert_msg(strcmp(acl_right_imap_rights(ucs_rights[i].right),
				     ucs_rights[i].imap_rights) == 0,
			      "%s maps to \"%s\", UCS says \"%s\"",
			      ucs_rights[i].name,
			      acl_right_imap_rights(ucs_rights[i].right),
			      ucs_rights[i].imap_rights);
	}
	ck_assert_str_eq(acl_right_imap_rights(ACL_RIGHT_UNSET), "");
}
END_TEST

START_TEST(test_acl_value_names_a_person_by_address)
{
	const char *id = NULL, *error = NULL;
	size_t id_len = 0;
	enum acl_right right = ACL_RIGHT_UNSET;

	ck_assert_int_eq(acl_value_parse("alice@example.com read", &id,
					 &id_len, &right, &error), 0);
	ck_assert_uint_eq(id_len, strlen("alice@example.com"));
	ck_assert_int_eq(strncmp(id, "alice@example.com", id_len), 0);
	ck_assert_int_eq(right, ACL_RIGHT_READ);
}
END_TEST

START_TEST(test_acl_value_group_name_may_hold_spaces)
{
	const char *id = NULL, *error = NULL;
	size_t id_len = 0;
	enum acl_right right = ACL_RIGHT_UNSET;

	ck_assert_int_eq(acl_value_parse("Domain Users write", &id, &id_len,
					 &right, &error), 0);
	ck_assert_uint_eq(id_len, strlen("Domain Users"));
	ck_assert_int_eq(strncmp(id, "Domain Users", id_len), 0);
	ck_assert_int_eq(right, ACL_RIGHT_WRITE);
}
END_TEST

START_TEST(test_acl_value_none_is_an_explicit_right)
{
	const char *id = NULL, *error = NULL;
	size_t id_len = 0;
	enum acl_right right = ACL_RIGHT_UNSET;

	ck_assert_int_eq(acl_value_parse("bob none", &id, &id_len, &right,
					 &error), 0);
	ck_assert_uint_eq(id_len, 3);
	ck_assert_int_eq(strncmp(id, "bob", id_len), 0);
	ck_assert_int_eq(right, ACL_RIGHT_NONE);
}
END_TEST

START_TEST(test_bad_acl_values_are_refused_with_a_reason)
{
	static const char *const bad[] = {
		"read",			/* no identifier */
		"alice",		/* no right */
		"alice superuser",	/* unknown right */
		" read",		/* empty identifier */
		"",
		"alice read ",		/* trailing space: right is "" */
		"alice READ",
	};
	const char *id, *error;
	size_t id_len, i;
	enum acl_right right;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error = NULL;
		ck_assert_msg(acl_value_parse(bad[i], &id, &id_len, &right,
					      &error) == -1,
			      "\"%s\" parsed as an ACL value", bad[i]);
		ck_assert_msg(error != NULL && error[0] != '\0',
			      "\"%s\" refused without a reason", bad[i]);
	}
}
END_TEST

static Suite *acl_right_suite(void)
{
	Suite *s = suite_create("acl-right");
	TCase *tc;

	tc = tcase_create("levels");
	tcase_add_test(tc, test_rights_are_ordered_weakest_to_strongest);
	tcase_add_test(tc, test_right_names_round_trip);
	tcase_add_test(tc, test_right_parse_uses_exactly_len_bytes);
	tcase_add_test(tc, test_unknown_right_names_do_not_parse);
	tcase_add_test(tc, test_rights_map_to_ucs_imap_rights);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_test(tc, test_acl_value_names_a_person_by_address);
	tcase_add_test(tc, test_acl_value_group_name_may_hold_spaces);
	tcase_add_test(tc, test_acl_value_none_is_an_explicit_right);
	tcase_add_test(tc, test_bad_acl_values_are_refused_with_a_reason);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(acl_right_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
