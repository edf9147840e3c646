/* test-ldap-dn - a DN is compared (with strcmp) in one form whichever way
   the directory wrote it: normalized as libldap normalizes it, then case-
   folded also beyond ASCII, as LDAP compares DN values; and the plain-DN
   shortcut agrees with libldap's normalization for every DN it takes. */

#include "ldap-dn.h"
#include "arena.h"

#include <check.h>
#include <ldap.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct arena arena;

static void setup(void)
{
	arena_init(&arena, 256);
}

static void teardown(void)
{
	arena_free(&arena);
}

/* libldap's own LDAPv3 normal form of dn (in arena), NULL if invalid */
static const char *libldap_normal(const char *dn)
{
	char *out = NULL;
	const char *copy;

	if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &out,
			      LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
	    out == NULL)
		return NULL;
	copy = arena_strdup(&arena, out);
	ldap_memfree(out);
	return copy;
}

static void ck_assert_same_dn(const char *a, const char *b)
{
	const char *ca = ldap_dn_comparable(&arena, a);
	const char *cb = ldap_dn_comparable(&arena, b);

	ck_assert_msg(strcmp(ca, cb) == 0,
		      "\"%s\" (as \"%s\") and \"%s\" (as \"%s\") differ",
		      a, ca, b, cb);
}

static void ck_assert_comparable(const char *dn, const char *comparable)
{
	const char *out = ldap_dn_comparable(&arena, dn);

	ck_assert_msg(strcmp(out, comparable) == 0,
		      "\"%s\" compares as \"%s\", expected \"%s\"",
		      dn, out, comparable);
}

START_TEST(test_plain_dns_are_taken_as_they_are_in_lower_case)
{
	static const char *const dns[][2] = {
		{ "uid=alice,cn=users,dc=example,dc=com",
		  "uid=alice,cn=users,dc=example,dc=com" },
		{ "UID=Alice,CN=Users,DC=Example,DC=Com",
		  "uid=alice,cn=users,dc=example,dc=com" },
		{ "cn=info,cn=functional_accounts,cn=open-xchange,dc=example,dc=com",
		  "cn=info,cn=functional_accounts,cn=open-xchange,dc=example,dc=com" },
		{ "mailPrimaryAddress=First.Last@example.com,o=x-Y",
		  "mailprimaryaddress=first.last@example.com,o=x-y" },
		{ "cn=1", "cn=1" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(dns) / sizeof(dns[0]); i++) {
		ck_assert_msg(ldap_dn_is_plain(dns[i][0]), "%s", dns[i][0]);
		ck_assert_comparable(dns[i][0], dns[i][1]);
	}
}
END_TEST

START_TEST(test_a_plain_lower_case_dn_is_its_own_comparable_form)
{
	const char *dn = "uid=alice,cn=users,dc=example,dc=com";

	ck_assert_ptr_eq(ldap_dn_comparable(&arena, dn), dn);
}
END_TEST

START_TEST(test_anything_normalization_could_rewrite_is_not_plain)
{
	static const char *const dns[] = {
		"", ",", "uid=alice,", ",uid=alice", "uid=alice,,cn=users",
		"uid=alice, cn=users", "uid = alice", " uid=alice",
		"uid=alice ", "cn=a\\,b", "cn=a\\2Cb", "cn=a+sn=b",
		"cn=\"quoted\"", "cn=#414243", "1.2.3.4=x", "cn=", "=x",
		"cn=a b", "uid=alice;cn=users", "cn=a=b", "cn=<x>",
		"uid=\xc3\xa5sa,cn=users", "uid", "-cn=x",
	};
	unsigned int i;

	for (i = 0; i < sizeof(dns) / sizeof(dns[0]); i++)
		ck_assert_msg(!ldap_dn_is_plain(dns[i]), "\"%s\"", dns[i]);
}
END_TEST

/* the shortcut is only sound if a plain DN is its own normal form: check
   it against libldap for many generated plain DNs */
START_TEST(test_plain_dns_are_their_own_normal_form)
{
	static const char type_chars[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
	static const char value_chars[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		".@_-";
	char dn[256];
	unsigned int seed = 4514, n, r, i, len;
	const char *normal;

	for (n = 0; n < 3000; n++) {
		len = 0;
		for (r = 0; r < 1 + (unsigned int)rand_r(&seed) % 5; r++) {
			if (r > 0)
				dn[len++] = ',';
			dn[len++] = type_chars[rand_r(&seed) % 52];
			for (i = rand_r(&seed) % 8; i > 0; i--)
				dn[len++] = type_chars[rand_r(&seed) %
						       (sizeof(type_chars) - 1)];
			dn[len++] = '=';
			for (i = 1 + rand_r(&seed) % 12; i > 0; i--)
				dn[len++] = value_chars[rand_r(&seed) %
							(sizeof(value_chars) - 1)];
		}
		dn[len] = '\0';
		ck_assert_msg(ldap_dn_is_plain(dn), "%s", dn);
		normal = libldap_normal(dn);
		ck_assert_msg(normal != NULL, "libldap refuses \"%s\"", dn);
		ck_assert_msg(strcasecmp(normal, dn) == 0,
			      "\"%s\" normalizes to \"%s\"", dn, normal);
	}
}
END_TEST

START_TEST(test_the_same_dn_written_differently_compares_equal)
{
	const char *dn = "uid=alice,cn=users,dc=example,dc=com";

	ck_assert_same_dn(dn, "UID=alice, CN=Users, dc=example, dc=com");
	ck_assert_same_dn(dn, "uid = alice , cn=users,dc=example,dc=com");
	ck_assert_same_dn(dn, "uid=al\\69ce,cn=users,dc=example,dc=com");
	ck_assert_same_dn(dn, "uid=alice;cn=users;dc=example;dc=com");
	ck_assert_same_dn("cn=a\\,b,dc=example", "cn=a\\2Cb,dc=example");
}
END_TEST

START_TEST(test_different_dns_stay_different)
{
	const char *a = ldap_dn_comparable(&arena,
		"uid=alice,cn=users,dc=example,dc=com");
	const char *b = ldap_dn_comparable(&arena,
		"uid=alice, cn=people,dc=example,dc=com");

	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_a_dn_that_does_not_parse_is_kept_as_it_is_in_lower_case)
{
	const char *bad = "uid=alice,=broken";

	ck_assert_ptr_eq(ldap_dn_comparable(&arena, bad), bad);
	ck_assert_comparable("UID=Alice,=Broken", "uid=alice,=broken");
	ck_assert_comparable("CN=J\xc3\x96RG,=x", "cn=j\xc3\xb6rg,=x");
	/* an escape cut short: invalid for libldap too */
	ck_assert_comparable("CN=A\\C3,DC=X", "cn=a\\c3,dc=x");
}
END_TEST

START_TEST(test_dns_differing_in_case_beyond_ascii_compare_equal)
{
	ck_assert_same_dn("cn=J\xc3\x96RG M\xc3\x9cLLER,cn=users,dc=example,dc=com",
			  "cn=J\xc3\xb6rg M\xc3\xbcller,cn=users,dc=example,dc=com");
	ck_assert_same_dn("uid=\xc3\x85SA,cn=users,dc=example,dc=com",
			  "UID=\xc3\xa5sa,CN=Users,DC=example,DC=com");
}
END_TEST

/* libldap writes non-ASCII UTF-8 in its LDAPv3 normal form as hex escapes
   ("\C3\96"); a DN that arrives hex-escaped and one that arrives in raw
   UTF-8 are the same DN */
START_TEST(test_hex_escaped_utf8_equals_raw_utf8)
{
	ck_assert_same_dn("cn=J\\C3\\96RG M\\C3\\9CLLER,cn=users,dc=example,dc=com",
			  "cn=J\xc3\x96RG M\xc3\x9cLLER,cn=users,dc=example,dc=com");
	ck_assert_same_dn("cn=j\\c3\\b6rg,cn=users,dc=example,dc=com",
			  "cn=J\xc3\xb6rg,cn=users,dc=example,dc=com");
}
END_TEST

START_TEST(test_hex_escaped_utf8_in_capitals_equals_raw_utf8_in_lower_case)
{
	ck_assert_same_dn("cn=J\\C3\\96RG M\\C3\\9CLLER,cn=users,dc=example,dc=com",
			  "cn=J\xc3\xb6rg M\xc3\xbcller,cn=users,dc=example,dc=com");
}
END_TEST

/* LDAP compares the cn of a DN with caseIgnoreMatch, to which runs of
   spaces are one space (RFC 4518): a member list that writes a group's
   DN with two spaces names the same group (see text-fold.h) */
START_TEST(test_dns_differing_in_runs_of_inner_spaces_compare_equal)
{
	ck_assert_same_dn("cn=Domain  Users,cn=groups,dc=example,dc=com",
			  "cn=Domain Users,cn=groups,dc=example,dc=com");
	ck_assert_same_dn("cn=J\xc3\xb6rg \t M\xc3\xbcller,cn=users,dc=example,dc=com",
			  "cn=J\xc3\x96RG M\xc3\x9cLLER,cn=users,dc=example,dc=com");
}
END_TEST

START_TEST(test_different_non_ascii_dns_stay_different)
{
	const char *a = ldap_dn_comparable(&arena,
		"cn=J\xc3\xb6rg,cn=users,dc=example,dc=com");
	const char *b = ldap_dn_comparable(&arena,
		"cn=Jorg,cn=users,dc=example,dc=com");
	const char *c = ldap_dn_comparable(&arena,
		"cn=J\xc3\xa4rg,cn=users,dc=example,dc=com");

	ck_assert_str_ne(a, b);
	ck_assert_str_ne(a, c);
}
END_TEST

static Suite *ldap_dn_suite(void)
{
	Suite *s = suite_create("ldap-dn");
	TCase *tc = tcase_create("comparable");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_plain_dns_are_taken_as_they_are_in_lower_case);
	tcase_add_test(tc, test_a_plain_lower_case_dn_is_its_own_comparable_form);
	tcase_add_test(tc, test_anything_normalization_could_rewrite_is_not_plain);
	tcase_add_test(tc, test_plain_dns_are_their_own_normal_form);
	tcase_add_test(tc, test_the_same_dn_written_differently_compares_equal);
	tcase_add_test(tc, test_different_dns_stay_different);
	tcase_add_test(tc, test_a_dn_that_does_not_parse_is_kept_as_it_is_in_lower_case);
	tcase_add_test(tc, test_dns_differing_in_case_beyond_ascii_compare_equal);
	tcase_add_test(tc, test_hex_escaped_utf8_equals_raw_utf8);
	tcase_add_test(tc, test_hex_escaped_utf8_in_capitals_equals_raw_utf8_in_lower_case);
	tcase_add_test(tc, test_different_non_ascii_dns_stay_different);
	tcase_add_test(tc, test_dns_differing_in_runs_of_inner_spaces_compare_equal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ldap_dn_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
