/* test-ldap-filter - values from clients reach an LDAP filter only quoted
   (RFC 4515), and filter templates expand %u %n %d %{...} %% through that
   quoting. */

#include "ldap-filter.h"
#include "var-template.h"
#include "arena.h"

#include <check.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static struct arena arena;
static const char *filter;
static const char *error;

static void setup(void)
{
	arena_init(&arena, 256);
	filter = NULL;
	error = NULL;
}

static void teardown(void)
{
	arena_free(&arena);
}

static const char *escape(const char *value)
{
	return ldap_filter_escape(&arena, value);
}

/* expand_for_login - expand tmpl with the %u/%n/%d table of login */
static int expand_for_login(const char *tmpl, const char *login)
{
	struct var_template_entry table[4];

	var_template_login_table(&arena, login, table);
	return ldap_filter_expand(&arena, tmpl, table, &filter, &error);
}

/* ck_assert_quoted - str has no raw metacharacter, and every backslash
   starts a two-digit hex escape */
static void ck_assert_quoted(const char *str)
{
	const char *p;

	for (p = str; *p != '\0'; p++) {
		ck_assert_msg(strchr("*()", *p) == NULL,
			      "\"%s\" holds a raw '%c'", str, *p);
		if (*p == '\\') {
			ck_assert_msg(isxdigit((unsigned char)p[1]) &&
				      isxdigit((unsigned char)p[2]),
				      "\"%s\": '\\' not followed by two hex "
				      "digits", str);
			p += 2;
		}
	}
}

/* --- ldap_filter_escape --- */

START_TEST(test_rfc4515_metacharacters_become_hex)
{
	ck_assert_str_eq(escape("*"), "\\2a");
	ck_assert_str_eq(escape("("), "\\28");
	ck_assert_str_eq(escape(")"), "\\29");
	ck_assert_str_eq(escape("\\"), "\\5c");
	ck_assert_str_eq(escape("a*(b)\\c"), "a\\2a\\28b\\29\\5cc");
}
END_TEST

START_TEST(test_address_characters_pass_through)
{
	const char *safe = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.@_+-";

	ck_assert_str_eq(escape(safe), safe);
	ck_assert_str_eq(escape("alice.smith+tag@example.com"),
			 "alice.smith+tag@example.com");
	ck_assert_str_eq(escape(""), "");
}
END_TEST

START_TEST(test_utf8_bytes_are_hex_escaped)
{
	ck_assert_str_eq(escape("j\xc3\xb6rg"), "j\\c3\\b6rg");
	ck_assert_str_eq(escape("\xff"), "\\ff");
}
END_TEST

START_TEST(test_other_punctuation_is_hex_escaped)
{
	/* more than RFC 4515 asks: nothing but address characters passes */
	ck_assert_str_eq(escape(" "), "\\20");
	ck_assert_str_eq(escape("="), "\\3d");
	ck_assert_str_eq(escape("&|!~<>:"), "\\26\\7c\\21\\7e\\3c\\3e\\3a");
	ck_assert_str_eq(escape("/"), "\\2f");
	ck_assert_str_eq(escape("\x01"), "\\01");
}
END_TEST

/* --- ldap_filter_expand --- */

START_TEST(test_expand_fills_user_name_and_domain)
{
	ck_assert_int_eq(expand_for_login(
		"(&(mail=%u)(uid=%n)(dc=%d)(alias=%{user})"
		"(name=%{username})(zone=%{domain}))",
		"alice@example.com"), 0);
	ck_assert_str_eq(filter,
		"(&(mail=alice@example.com)(uid=alice)(dc=example.com)"
		"(alias=alice@example.com)(name=alice)(zone=example.com))");
}
END_TEST

START_TEST(test_expand_of_a_uid_has_empty_domain)
{
	ck_assert_int_eq(expand_for_login("(&(uid=%n)(d=%d))", "alice"), 0);
	ck_assert_str_eq(filter, "(&(uid=alice)(d=))");
}
END_TEST

START_TEST(test_expand_double_percent_is_a_literal_percent)
{
	ck_assert_int_eq(expand_for_login("(cn=100%%%u)", "alice"), 0);
	ck_assert_str_eq(filter, "(cn=100%alice)");
}
END_TEST

START_TEST(test_hostile_login_cannot_change_the_filter)
{
	ck_assert_int_eq(expand_for_login("(uid=%u)", "*)(uid=*"), 0);
	ck_assert_str_eq(filter, "(uid=\\2a\\29\\28uid\\3d\\2a)");

	/* every variable of a hostile address stays inside its assertion */
	ck_assert_int_eq(expand_for_login("%u|%n|%d|%{user}",
					  "*)(|(uid=*@x)(cn=*"), 0);
	ck_assert_quoted(filter);
	ck_assert_int_eq(expand_for_login("%u", "\\2a)(uid=*)\\"), 0);
	ck_assert_quoted(filter);
	ck_assert_str_eq(filter, "\\5c2a\\29\\28uid\\3d\\2a\\29\\5c");
}
END_TEST

START_TEST(test_expand_refuses_unknown_variable)
{
	ck_assert_int_eq(expand_for_login("(uid=%x)", "alice"), -1);
	ck_assert_ptr_nonnull(error);
	ck_assert_ptr_nonnull(strstr(error, "%x"));

	ck_assert_int_eq(expand_for_login("(uid=%{login})", "alice"), -1);
	ck_assert_ptr_nonnull(strstr(error, "%{login}"));
	/* a long name must match whole, not as a prefix */
	ck_assert_int_eq(expand_for_login("(uid=%{use})", "alice"), -1);
	ck_assert_int_eq(expand_for_login("(uid=%{users})", "alice"), -1);
}
END_TEST

START_TEST(test_expand_refuses_broken_templates)
{
	ck_assert_int_eq(expand_for_login("(uid=%{user)", "alice"), -1);
	ck_assert_ptr_nonnull(error);
	ck_assert_int_eq(expand_for_login("(uid=alice)%", "alice"), -1);
	ck_assert_ptr_nonnull(error);
}
END_TEST

START_TEST(test_expand_refuses_variable_without_value)
{
	struct var_template_entry table[] = {
		{ 'u', "user", "alice@example.com" },
		{ 0, "dn", NULL },
		{ 0, NULL, NULL },
	};

	ck_assert_int_eq(ldap_filter_expand(&arena, "(member=%{dn})", table,
					    &filter, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "%{dn}"));
	ck_assert_ptr_nonnull(strstr(error, "not available"));

	/* no login at all: %u has no value */
	ck_assert_int_eq(expand_for_login("(uid=%u)", NULL), -1);
	ck_assert_ptr_nonnull(strstr(error, "not available"));
}
END_TEST

static Suite *ldap_filter_suite(void)
{
	Suite *s = suite_create("ldap-filter");
	TCase *tc;

	tc = tcase_create("escape");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rfc4515_metacharacters_become_hex);
	tcase_add_test(tc, test_address_characters_pass_through);
	tcase_add_test(tc, test_utf8_bytes_are_hex_escaped);
	tcase_add_test(tc, test_other_punctuation_is_hex_escaped);
	suite_add_tcase(s, tc);

	tc = tcase_create("expand");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_expand_fills_user_name_and_domain);
	tcase_add_test(tc, test_expand_of_a_uid_has_empty_domain);
	tcase_add_test(tc, test_expand_double_percent_is_a_literal_percent);
	tcase_add_test(tc, test_hostile_login_cannot_change_the_filter);
	tcase_add_test(tc, test_expand_refuses_unknown_variable);
	tcase_add_test(tc, test_expand_refuses_broken_templates);
	tcase_add_test(tc, test_expand_refuses_variable_without_value);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ldap_filter_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
