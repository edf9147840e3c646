/* test-acl-right - UCS right levels and univentionMailACL values, as SPEC
   "Directory model" lists them: none < read < post < append < write < all,
   each value "<identifier> <right>" split on white space as UCS splits it;
   the right in any case; the identifier may hold spaces, is a person if it
   holds '@', everyone if it is "anyone" or "authenticated", else a
   group. */

#include "acl-right.h"
#include "arena.h"

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

static struct arena arena;

static void setup(void)
{
	arena_init(&arena, 256);
}

static void teardown(void)
{
	arena_free(&arena);
}

/* parse_ok - value must parse into identifier, kind and right */
static void parse_ok(const char *value, const char *identifier,
		     enum acl_identifier_kind kind, enum acl_right right)
{
	struct acl_value acl;
	const char *error = NULL;

	memset(&acl, 0xa5, sizeof(acl));
	ck_assert_msg(acl_value_parse(&arena, value, &acl, &error) == 0,
		      "\"%s\" refused: %s", value, error);
	ck_assert_msg(acl.identifier != NULL &&
		      strcmp(acl.identifier, identifier) == 0,
		      "\"%s\": identifier \"%s\", expected \"%s\"", value,
		      acl.identifier == NULL ? "(null)" : acl.identifier,
		      identifier);
	ck_assert_msg(acl.kind == kind, "\"%s\": kind %d, expected %d",
		      value, acl.kind, kind);
	ck_assert_msg(acl.right == right, "\"%s\": right %s, expected %s",
		      value, acl_right_name(acl.right), acl_right_name(right));
}

/* parse_fails - value must be refused with a reason, the identifier
   still holding all of its words so the caller can tell whom it meant */
static void parse_fails(const char *value, const char *identifier)
{
	struct acl_value acl;
	const char *error = NULL;

	memset(&acl, 0xa5, sizeof(acl));
	ck_assert_msg(acl_value_parse(&arena, value, &acl, &error) == -1,
		      "\"%s\" parsed as an ACL value", value);
	ck_assert_msg(error != NULL && error[0] != '\0',
		      "\"%s\" refused without a reason", value);
	ck_assert_msg(acl.identifier != NULL &&
		      strcmp(acl.identifier, identifier) == 0,
		      "\"%s\": identifier \"%s\", expected \"%s\"", value,
		      acl.identifier == NULL ? "(null)" : acl.identifier,
		      identifier);
}

START_TEST(test_acl_value_names_a_person_by_address)
{
	parse_ok("alice@example.com read", "alice@example.com",
		 ACL_IDENTIFIER_PERSON, ACL_RIGHT_READ);
}
END_TEST

START_TEST(test_acl_value_person_address_is_case_folded)
{
	parse_ok("Alice@Example.COM write", "alice@example.com",
		 ACL_IDENTIFIER_PERSON, ACL_RIGHT_WRITE);
	parse_ok("J\xc3\x96RG@example.com read", "j\xc3\xb6rg@example.com",
		 ACL_IDENTIFIER_PERSON, ACL_RIGHT_READ);
}
END_TEST

START_TEST(test_acl_value_group_name_may_hold_spaces)
{
	parse_ok("Domain Users write", "domain users",
		 ACL_IDENTIFIER_GROUP, ACL_RIGHT_WRITE);
}
END_TEST

START_TEST(test_acl_value_splits_on_any_white_space)
{
	parse_ok("Domain\tUsers \t  read", "domain users",
		 ACL_IDENTIFIER_GROUP, ACL_RIGHT_READ);
	parse_ok("  support\r\nwrite\n", "support",
		 ACL_IDENTIFIER_GROUP, ACL_RIGHT_WRITE);
	parse_ok("\vDomain \f Admins\tall\t", "domain admins",
		 ACL_IDENTIFIER_GROUP, ACL_RIGHT_ALL);
	parse_ok("alice@example.com read ", "alice@example.com",
		 ACL_IDENTIFIER_PERSON, ACL_RIGHT_READ);
}
END_TEST

START_TEST(test_acl_value_rights_are_read_in_any_case)
{
	parse_ok("alice@example.com READ", "alice@example.com",
		 ACL_IDENTIFIER_PERSON, ACL_RIGHT_READ);
	parse_ok("support Write", "support", ACL_IDENTIFIER_GROUP,
		 ACL_RIGHT_WRITE);
	parse_ok("anyone nOnE", "anyone", ACL_IDENTIFIER_EVERYONE,
		 ACL_RIGHT_NONE);
	parse_ok("support APPEND", "support", ACL_IDENTIFIER_GROUP,
		 ACL_RIGHT_APPEND);
	parse_ok("support Post", "support", ACL_IDENTIFIER_GROUP,
		 ACL_RIGHT_POST);
	parse_ok("support aLL", "support", ACL_IDENTIFIER_GROUP,
		 ACL_RIGHT_ALL);
}
END_TEST

START_TEST(test_acl_value_none_is_an_explicit_right)
{
	parse_ok("bob@example.com none", "bob@example.com",
		 ACL_IDENTIFIER_PERSON, ACL_RIGHT_NONE);
}
END_TEST

START_TEST(test_acl_value_anyone_and_authenticated_are_everyone)
{
	parse_ok("anyone read", "anyone", ACL_IDENTIFIER_EVERYONE,
		 ACL_RIGHT_READ);
	parse_ok("authenticated write", "authenticated",
		 ACL_IDENTIFIER_EVERYONE, ACL_RIGHT_WRITE);
	parse_ok("ANYONE read", "anyone", ACL_IDENTIFIER_EVERYONE,
		 ACL_RIGHT_READ);
	parse_ok("  Authenticated\tpost", "authenticated",
		 ACL_IDENTIFIER_EVERYONE, ACL_RIGHT_POST);
}
END_TEST

START_TEST(test_acl_value_near_everyone_words_are_groups)
{
	parse_ok("anyone else read", "anyone else", ACL_IDENTIFIER_GROUP,
		 ACL_RIGHT_READ);
	parse_ok("anybody read", "anybody", ACL_IDENTIFIER_GROUP,
		 ACL_RIGHT_READ);
	parse_ok("authenticated users read", "authenticated users",
		 ACL_IDENTIFIER_GROUP, ACL_RIGHT_READ);
}
END_TEST

START_TEST(test_acl_value_without_at_sign_is_a_group_never_a_uid)
{
	parse_ok("carol read", "carol", ACL_IDENTIFIER_GROUP,
		 ACL_RIGHT_READ);
	parse_ok("J\xc3\x96RG M\xc3\x9cLLER write",
		 "j\xc3\xb6rg m\xc3\xbcller", ACL_IDENTIFIER_GROUP,
		 ACL_RIGHT_WRITE);
}
END_TEST

START_TEST(test_acl_value_with_at_sign_anywhere_is_a_person)
{
	parse_ok("team @ example read", "team @ example",
		 ACL_IDENTIFIER_PERSON, ACL_RIGHT_READ);
}
END_TEST

START_TEST(test_acl_value_only_the_last_word_is_the_right)
{
	/* UCS reads "read" as part of the identifier here */
	parse_ok("support read write", "support read", ACL_IDENTIFIER_GROUP,
		 ACL_RIGHT_WRITE);
}
END_TEST

START_TEST(test_bad_acl_values_are_refused_with_a_reason)
{
	parse_fails("read", "read");
	parse_fails(" read", "read");
	parse_fails("\t read \n", "read");
	parse_fails("alice", "alice");
	parse_fails("alice@example.com superuser",
		    "alice@example.com superuser");
	parse_fails("Domain  Users   lrws", "domain users lrws");
	parse_fails("alice@example.com rea", "alice@example.com rea");
	parse_fails("", "");
	parse_fails(" \t\r\n", "");
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
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_acl_value_names_a_person_by_address);
	tcase_add_test(tc, test_acl_value_person_address_is_case_folded);
	tcase_add_test(tc, test_acl_value_group_name_may_hold_spaces);
	tcase_add_test(tc, test_acl_value_splits_on_any_white_space);
	tcase_add_test(tc, test_acl_value_rights_are_read_in_any_case);
	tcase_add_test(tc, test_acl_value_none_is_an_explicit_right);
	tcase_add_test(tc, test_acl_value_anyone_and_authenticated_are_everyone);
	tcase_add_test(tc, test_acl_value_near_everyone_words_are_groups);
	tcase_add_test(tc, test_acl_value_without_at_sign_is_a_group_never_a_uid);
	tcase_add_test(tc, test_acl_value_with_at_sign_anywhere_is_a_person);
	tcase_add_test(tc, test_acl_value_only_the_last_word_is_the_right);
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
