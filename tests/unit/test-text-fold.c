/* test-text-fold - names from the directory compare as LDAP compares them:
   case-insensitively also beyond ASCII ("JÖRG MÜLLER" equals "jörg
   müller"), identifiers and group names with runs of white space as one
   space; bytes that are not valid UTF-8 are kept and only equal
   themselves. */

#include "text-fold.h"
#include "arena.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static struct arena arena;

static void setup(void)
{
	arena_init(&arena, 256);
}

static void teardown(void)
{
	arena_free(&arena);
}

static void ck_assert_casefolds(const char *str, const char *folded)
{
	const char *out = text_casefold(&arena, str);

	ck_assert_msg(strcmp(out, folded) == 0,
		      "text_casefold(\"%s\") is \"%s\", expected \"%s\"",
		      str, out, folded);
}

static void ck_assert_name_folds(const char *str, const char *folded)
{
	const char *out = text_fold_name(&arena, str, strlen(str));

	ck_assert_msg(strcmp(out, folded) == 0,
		      "text_fold_name(\"%s\") is \"%s\", expected \"%s\"",
		      str, out, folded);
}

START_TEST(test_ascii_letters_fold_to_lower_case)
{
	ck_assert_casefolds("ALICE@Example.COM", "alice@example.com");
	ck_assert_casefolds("UID=Alice,CN=Users", "uid=alice,cn=users");
	ck_assert_casefolds("0123456789 !#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
			    "0123456789 !#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
	ck_assert_casefolds("", "");
}
END_TEST

START_TEST(test_ascii_lower_case_is_returned_as_it_is)
{
	const char *str = "alice@example.com";

	ck_assert_ptr_eq(text_casefold(&arena, str), str);
}
END_TEST

START_TEST(test_latin1_letters_fold_to_lower_case)
{
	ck_assert_casefolds("J\xc3\x96RG M\xc3\x9cLLER",
			    "j\xc3\xb6rg m\xc3\xbcller");
	/* À É Î Õ Ü Ý Þ Ç Ñ Ø Å Æ */
	ck_assert_casefolds("\xc3\x80\xc3\x89\xc3\x8e\xc3\x95\xc3\x9c\xc3\x9d"
			    "\xc3\x9e\xc3\x87\xc3\x91\xc3\x98\xc3\x85\xc3\x86",
			    "\xc3\xa0\xc3\xa9\xc3\xae\xc3\xb5\xc3\xbc\xc3\xbd"
			    "\xc3\xbe\xc3\xa7\xc3\xb1\xc3\xb8\xc3\xa5\xc3\xa6");
	/* × and ÷ are no letters; ß has no simple lower case */
	ck_assert_casefolds("\xc3\x97\xc3\xb7\xc3\x9f", "\xc3\x97\xc3\xb7\xc3\x9f");
}
END_TEST

START_TEST(test_joerg_mueller_in_capitals_is_joerg_mueller)
{
	ck_assert_str_eq(text_casefold(&arena, "J\xc3\x96RG M\xc3\x9cLLER"),
			 text_casefold(&arena, "J\xc3\xb6rg M\xc3\xbcller"));
	ck_assert_str_eq(text_casefold(&arena, "J\xc3\x96RG M\xc3\x9cLLER"),
			 text_casefold(&arena, "j\xc3\xb6rg m\xc3\xbcller"));
}
END_TEST

START_TEST(test_other_scripts_fold_to_lower_case)
{
	/* Greek ΑΒΓ ΣΟΦΊΑ */
	ck_assert_casefolds("\xce\x91\xce\x92\xce\x93 \xce\xa3\xce\x9f\xce\xa6"
			    "\xce\x8a\xce\x91",
			    "\xce\xb1\xce\xb2\xce\xb3 \xcf\x83\xce\xbf\xcf\x86"
			    "\xce\xaf\xce\xb1");
	/* Cyrillic ДМИТРИЙ */
	ck_assert_casefolds("\xd0\x94\xd0\x9c\xd0\x98\xd0\xa2\xd0\xa0\xd0\x98"
			    "\xd0\x99",
			    "\xd0\xb4\xd0\xbc\xd0\xb8\xd1\x82\xd1\x80\xd0\xb8"
			    "\xd0\xb9");
	/* Latin Extended-A: Ł Ő Ž */
	ck_assert_casefolds("\xc5\x81\xc5\x90\xc5\xbd",
			    "\xc5\x82\xc5\x91\xc5\xbe");
	/* fullwidth Ａ (3 bytes) and Deseret 𐐀 (4 bytes) */
	ck_assert_casefolds("\xef\xbc\xa1", "\xef\xbd\x81");
	ck_assert_casefolds("\xf0\x90\x90\x80", "\xf0\x90\x90\xa8");
	/* CJK has no case */
	ck_assert_casefolds("\xe5\xb1\xb1\xe7\x94\xb0", "\xe5\xb1\xb1\xe7\x94\xb0");
}
END_TEST

START_TEST(test_a_lower_case_form_may_be_longer_than_its_capital)
{
	/* Ⱥ U+023A (2 bytes) -> ⱥ U+2C65 (3 bytes), many times over: the
	   output must have room for it */
	char upper[2 * 300 + 1], lower[3 * 300 + 1];
	unsigned int i;

	for (i = 0; i < 300; i++) {
		memcpy(upper + 2 * i, "\xc8\xba", 2);
		memcpy(lower + 3 * i, "\xe2\xb1\xa5", 3);
	}
	upper[sizeof(upper) - 1] = '\0';
	lower[sizeof(lower) - 1] = '\0';
	ck_assert_casefolds(upper, lower);
	ck_assert_name_folds(upper, lower);
}
END_TEST

START_TEST(test_white_space_is_kept_by_casefold)
{
	ck_assert_casefolds("  Domain \t Users ", "  domain \t users ");
}
END_TEST

START_TEST(test_names_fold_case_and_runs_of_white_space)
{
	ck_assert_name_folds("Domain Users", "domain users");
	ck_assert_name_folds("  Domain \t\r\n Users\v\f", "domain users");
	ck_assert_name_folds("J\xc3\x96RG   M\xc3\x9cLLER",
			     "j\xc3\xb6rg m\xc3\xbcller");
	ck_assert_name_folds("support", "support");
	ck_assert_name_folds("", "");
	ck_assert_name_folds(" \t\n", "");
}
END_TEST

START_TEST(test_name_folding_reads_exactly_len_bytes)
{
	ck_assert_str_eq(text_fold_name(&arena, "Support write", 7),
			 "support");
	ck_assert_str_eq(text_fold_name(&arena, "Domain Users  read", 14),
			 "domain users");
	/* a sequence cut by len is invalid there, and kept as bytes */
	ck_assert_str_eq(text_fold_name(&arena, "J\xc3\x96", 2), "j\xc3");
}
END_TEST

START_TEST(test_invalid_utf8_is_kept_as_it_is)
{
	/* lone continuation bytes, bytes never valid, a Latin-1 Ö */
	ck_assert_casefolds("\x80\xbf\xfe\xff" "ABC", "\x80\xbf\xfe\xff" "abc");
	ck_assert_casefolds("J\xd6RG", "j\xd6rg");
	/* a sequence cut short at the end and in the middle */
	ck_assert_casefolds("J\xc3", "j\xc3");
	ck_assert_casefolds("J\xc3X\xc3\x96", "j\xc3x\xc3\xb6");
	/* overlong forms of '/' and of 'A', an encoded surrogate, a code
	   point above U+10FFFF */
	ck_assert_casefolds("\xc0\xaf\xc1\x81", "\xc0\xaf\xc1\x81");
	ck_assert_casefolds("\xe0\x81\x81", "\xe0\x81\x81");
	ck_assert_casefolds("\xed\xa0\x80Z", "\xed\xa0\x80z");
	ck_assert_casefolds("\xf4\x90\x80\x80Z", "\xf4\x90\x80\x80z");
	ck_assert_name_folds("  J\xd6RG \xff  X ", "j\xd6rg \xff x");
}
END_TEST

START_TEST(test_invalid_utf8_only_equals_itself)
{
	/* Latin-1 "JÖRG" is not UTF-8 "jörg", nor Latin-1 "jörg" */
	const char *latin1 = text_casefold(&arena, "J\xd6RG");

	ck_assert_str_ne(latin1, text_casefold(&arena, "j\xc3\xb6rg"));
	ck_assert_str_ne(latin1, text_casefold(&arena, "j\xf6rg"));
	ck_assert_str_eq(latin1, text_casefold(&arena, "j\xd6rg"));
}
END_TEST

START_TEST(test_ascii_white_space_is_space)
{
	const char *space = " \t\n\r\v\f", *p;

	for (p = space; *p != '\0'; p++)
		ck_assert_msg(text_is_space(*p), "0x%02x", *p);
	ck_assert(!text_is_space('a'));
	ck_assert(!text_is_space('\0'));
	ck_assert(!text_is_space('_'));
	ck_assert(!text_is_space((char)0xa0));
	ck_assert(!text_is_space((char)0x85));
}
END_TEST

static Suite *text_fold_suite(void)
{
	Suite *s = suite_create("text-fold");
	TCase *tc = tcase_create("fold");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ascii_letters_fold_to_lower_case);
	tcase_add_test(tc, test_ascii_lower_case_is_returned_as_it_is);
	tcase_add_test(tc, test_latin1_letters_fold_to_lower_case);
	tcase_add_test(tc, test_joerg_mueller_in_capitals_is_joerg_mueller);
	tcase_add_test(tc, test_other_scripts_fold_to_lower_case);
	tcase_add_test(tc, test_a_lower_case_form_may_be_longer_than_its_capital);
	tcase_add_test(tc, test_white_space_is_kept_by_casefold);
	tcase_add_test(tc, test_names_fold_case_and_runs_of_white_space);
	tcase_add_test(tc, test_name_folding_reads_exactly_len_bytes);
	tcase_add_test(tc, test_invalid_utf8_is_kept_as_it_is);
	tcase_add_test(tc, test_invalid_utf8_only_equals_itself);
	tcase_add_test(tc, test_ascii_white_space_is_space);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(text_fold_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
