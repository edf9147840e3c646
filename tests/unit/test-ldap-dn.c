/* test-ldap-dn - a DN is compared in one form whichever way the directory
   wrote it, and the plain-DN shortcut agrees with libldap's normalization
   for every DN it takes. */

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

	ck_assert_msg(strcasecmp(ca, cb) == 0,
		      "\"%s\" (as \"%s\") and \"%s\" (as \"%s\") differ",
		      a, ca, b, cb);
}

START_TEST(test_plain_dns_are_taken_as_they_are)
{
	static const char *const dns[] = {
		"uid=alice,cn=users,dc=example,dc=com",
		"UID=Alice,CN=Users,DC=Example,DC=Com",
		"cn=info,cn=functional_accounts,cn=open-xchange,dc=example,dc=com",
		"mailPrimaryAddress=first.last@example.com,o=x-y",
		"cn=1",
	};
	unsigned int i;

	for (i = 0; i < sizeof(dns) / sizeof(dns[0]); i++) {
		ck_assert_msg(ldap_dn_is_plain(dns[i]), "%s", dns[i]);
		ck_assert_ptr_eq(ldap_dn_comparable(&arena, dns[i]), dns[i]);
	}
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
		for (r = 0; r < 1 + rand_r(&seed) % 5; r++) {
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

	ck_assert_int_ne(strcasecmp(a, b), 0);
}
END_TEST

START_TEST(test_a_dn_that_does_not_parse_is_kept_as_it_is)
{
	const char *bad = "uid=alice,=broken";

	ck_assert_ptr_eq(ldap_dn_comparable(&arena, bad), bad);
}
END_TEST

static Suite *ldap_dn_suite(void)
{
	Suite *s = suite_create("ldap-dn");
	TCase *tc = tcase_create("comparable");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_plain_dns_are_taken_as_they_are);
	tcase_add_test(tc, test_anything_normalization_could_rewrite_is_not_plain);
	tcase_add_test(tc, test_plain_dns_are_their_own_normal_form);
	tcase_add_test(tc, test_the_same_dn_written_differently_compares_equal);
	tcase_add_test(tc, test_different_dns_stay_different);
	tcase_add_test(tc, test_a_dn_that_does_not_parse_is_kept_as_it_is);
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
