/* test-settings - the plugin's config file: UCS defaults, Dovecot-style
   "key = value" syntax, and every mistake refused with "file:line: reason"
   (SPEC "Operations": config errors stop Dovecot at startup). */

#include "fa-settings.h"
#include "login-split.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* the two required keys, on lines 1 and 2 of every config below */
#define REQUIRED \
	"ldap_uris = ldap://127.0.0.1:389/\n" \
	"ldap_base = dc=example,dc=com\n"

static struct fa_settings *set;
static const char *error;
static char password_path[64];

static void setup(void)
{
	set = NULL;
	error = NULL;
	password_path[0] = '\0';
}

static void teardown(void)
{
	fa_settings_free(&set);
	if (password_path[0] != '\0')
		(void)unlink(password_path);
}

static int parse(const char *text)
{
	fa_settings_free(&set);
	error = NULL;
	return fa_settings_parse("test.conf", text, strlen(text), &set, &error);
}

/* parse_ok - text must parse; the failure message carries the error */
#define parse_ok(text) do { \
	const char *text_ = (text); \
	ck_assert_msg(parse(text_) == 0, "config refused: %s\n--\n%s", \
		      error, text_); \
	ck_assert_ptr_nonnull(set); \
} while (0)

/* parse_fails - text must be refused with an error holding each of the
   substrings (NULL-terminated list) */
static void parse_fails_with(const char *text, const char *const *expected)
{
	ck_assert_msg(parse(text) == -1, "config accepted:\n%s", text);
	ck_assert_ptr_null(set);
	ck_assert_msg(error != NULL, "no error for:\n%s", text);
	for (; *expected != NULL; expected++) {
		ck_assert_msg(strstr(error, *expected) != NULL,
			      "error \"%s\" lacks \"%s\"; config:\n%s",
			      error, *expected, text);
	}
}
#define parse_fails(text, ...) \
	parse_fails_with(text, (const char *const[]){ __VA_ARGS__, NULL })

/* write_password_file - a temp file holding content, with mode */
static void write_password_file(const char *content, mode_t mode)
{
	int fd;

	strcpy(password_path, "/tmp/fa-test-password.XXXXXX");
	fd = mkstemp(password_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)),
			 (ssize_t)strlen(content));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static const char *with_password_file(void)
{
	static char text[512];

	snprintf(text, sizeof(text), REQUIRED
		 "ldap_bind_dn = cn=dovecot,cn=users,dc=example,dc=com\n"
		 "ldap_bind_password_file = %s\n", password_path);
	return text;
}

/* --- defaults and syntax --- */

START_TEST(test_minimal_config_gets_ucs_defaults)
{
	parse_ok(REQUIRED);
	ck_assert_str_eq(set->path, "test.conf");
	ck_assert_str_eq(set->ldap_uris, "ldap://127.0.0.1:389/");
	ck_assert_str_eq(set->ldap_base, "dc=example,dc=com");
	ck_assert_str_eq(set->separators, "/*");
	ck_assert_int_eq(set->login_order, LOGIN_ORDER_PERSON_FIRST);
	ck_assert(!set->plain_logins);
	ck_assert_int_eq(set->min_right, ACL_RIGHT_READ);
	ck_assert_int_eq(set->send_min_right, ACL_RIGHT_APPEND);
	ck_assert_str_eq(set->smtp_services, "smtp submission");
	ck_assert(!set->smtp_functional_logins);
	ck_assert_uint_eq(set->ldap_timeout, 5);
	ck_assert(!set->ldap_starttls);
	ck_assert_int_eq(set->ldap_tls_require_cert, FA_TLS_REQUIRE_DEMAND);
	ck_assert_str_eq(set->ldap_bind_dn, "");
	ck_assert_str_eq(set->ldap_bind_password, "");
	ck_assert_str_eq(set->member_attribute, "uniqueMember");
	ck_assert_str_eq(set->acl_attribute, "univentionMailACL");
	ck_assert_str_eq(set->person_name_attribute, "mailPrimaryAddress");
	ck_assert_str_eq(set->target_name_attribute, "mailPrimaryAddress");
	ck_assert_ptr_nonnull(strstr(set->target_filter,
				     "objectClass=oxFunctionalAccount"));
	ck_assert_ptr_nonnull(strstr(set->target_filter,
				     "objectClass=univentionMailSharedFolder"));
}
END_TEST

START_TEST(test_smtp_services_are_matched_word_by_word)
{
	parse_ok(REQUIRED);
	ck_assert(fa_settings_smtp_service(set, "smtp"));
	ck_assert(fa_settings_smtp_service(set, "submission"));
	ck_assert(fa_settings_smtp_service(set, "SMTP"));
	ck_assert(!fa_settings_smtp_service(set, "imap"));
	ck_assert(!fa_settings_smtp_service(set, "smt"));
	ck_assert(!fa_settings_smtp_service(set, "smtps"));
	ck_assert(!fa_settings_smtp_service(set, ""));
	ck_assert(!fa_settings_smtp_service(set, NULL));
	parse_ok(REQUIRED "smtp_services = \t smtps  smtp \n"
		 "smtp_functional_logins = yes\nsend_min_right = write\n");
	ck_assert(fa_settings_smtp_service(set, "smtps"));
	ck_assert(fa_settings_smtp_service(set, "smtp"));
	ck_assert(!fa_settings_smtp_service(set, "submission"));
	ck_assert(set->smtp_functional_logins);
	ck_assert_int_eq(set->send_min_right, ACL_RIGHT_WRITE);
	parse_fails(REQUIRED "send_min_right = sending\n", "send_min_right");
	parse_ok(REQUIRED);
	ck_assert_str_eq(set->recipient_delimiter, "+");
	parse_ok(REQUIRED "recipient_delimiter = +-\n");
	ck_assert_str_eq(set->recipient_delimiter, "+-");
	parse_fails(REQUIRED "recipient_delimiter = +@\n", "recipient_delimiter");
}
END_TEST

START_TEST(test_search_bases_default_to_ldap_base)
{
	parse_ok(REQUIRED);
	ck_assert_str_eq(set->person_base, "dc=example,dc=com");
	ck_assert_str_eq(set->target_base, "dc=example,dc=com");
	ck_assert_str_eq(set->group_base, "dc=example,dc=com");

	parse_ok(REQUIRED
		 "person_base = cn=users,dc=example,dc=com\n"
		 "target_base = cn=functional_accounts,cn=open-xchange,"
		 "dc=example,dc=com\n");
	ck_assert_str_eq(set->person_base, "cn=users,dc=example,dc=com");
	ck_assert_str_eq(set->target_base,
		"cn=functional_accounts,cn=open-xchange,dc=example,dc=com");
	ck_assert_str_eq(set->group_base, "dc=example,dc=com");
}
END_TEST

START_TEST(test_comments_blank_lines_and_crlf_are_ignored)
{
	parse_ok("# functional accounts\n"
		 "\n"
		 "   \t\n"
		 "ldap_uris = ldap://127.0.0.1:389/   # the local slapd\n"
		 "\t# indented comment\n"
		 "ldap_base=dc=example,dc=com\r\n"
		 "  ldap_timeout\t=\t7  \r\n"
		 "#ldap_timeout = 9\n"
		 "min_right = write");
	ck_assert_str_eq(set->ldap_uris, "ldap://127.0.0.1:389/");
	ck_assert_str_eq(set->ldap_base, "dc=example,dc=com");
	ck_assert_uint_eq(set->ldap_timeout, 7);
	ck_assert_int_eq(set->min_right, ACL_RIGHT_WRITE);
}
END_TEST

START_TEST(test_quoted_value_keeps_hash_and_spaces)
{
	parse_ok(REQUIRED
		 "ldap_bind_dn = \"cn=svc #1,dc=example,dc=com\"  # comment\n"
		 "ldap_bind_password = \" pass # word \"\n"
		 "userdb_mail = \"\"\n");
	ck_assert_str_eq(set->ldap_bind_dn, "cn=svc #1,dc=example,dc=com");
	ck_assert_str_eq(set->ldap_bind_password, " pass # word ");
	ck_assert_str_eq(set->userdb_mail, "");
}
END_TEST

START_TEST(test_empty_value_clears_a_default)
{
	parse_ok(REQUIRED "member_attribute =\n");
	ck_assert_str_eq(set->member_attribute, "");
	ck_assert_str_eq(set->acl_attribute, "univentionMailACL");
}
END_TEST

START_TEST(test_broken_quotes_are_refused)
{
	parse_fails(REQUIRED "ldap_bind_dn = \"cn=svc,dc=example\n",
		    "test.conf:3: ", "unterminated");
	parse_fails(REQUIRED "ldap_bind_dn = \"cn=svc\" trailing\n",
		    "test.conf:3: ", "text after quoted value");
}
END_TEST

START_TEST(test_line_without_equals_is_refused)
{
	parse_fails(REQUIRED "ldap_starttls\n",
		    "test.conf:3: ", "expected key = value");
	parse_fails(REQUIRED " = yes\n", "test.conf:3: ", "missing key");
}
END_TEST

START_TEST(test_unknown_setting_names_file_and_line)
{
	parse_fails("# a comment\n" REQUIRED "ldap_url = ldap://x/\n",
		    "test.conf:4: unknown setting", "ldap_url");
	/* keys are case-sensitive, as in Dovecot */
	parse_fails(REQUIRED "LDAP_TIMEOUT = 5\n",
		    "test.conf:3: unknown setting", "LDAP_TIMEOUT");
}
END_TEST

START_TEST(test_setting_twice_is_refused_at_the_second)
{
	parse_fails(REQUIRED "ldap_timeout = 5\nldap_base = dc=other\n",
		    "test.conf:4: ", "ldap_base", "twice");
	parse_fails(REQUIRED "min_right = read\n\nmin_right = read\n",
		    "test.conf:5: ", "min_right", "twice");
}
END_TEST

/* --- bad values --- */

START_TEST(test_bad_bool_is_refused)
{
	parse_fails(REQUIRED "ldap_starttls = true\n",
		    "test.conf:3: ldap_starttls: ", "yes or no");
	parse_fails(REQUIRED "plain_logins = 1\n",
		    "test.conf:3: plain_logins: ", "yes or no");
	parse_ok(REQUIRED "ldap_starttls = yes\nplain_logins = yes\n");
	ck_assert(set->ldap_starttls);
	ck_assert(set->plain_logins);
}
END_TEST

START_TEST(test_bad_number_is_refused)
{
	static const char *const bad[] = {
		"0", "301", "5s", "-1", "+5", " ", "1e2", "0x10",
		"99999999999999999999999",
	};
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), REQUIRED "ldap_timeout = %s\n",
			 bad[i]);
		parse_fails(text, "test.conf:3: ldap_timeout: ",
			    "from 1 to 300");
	}
	parse_ok(REQUIRED "ldap_timeout = 300\ngroup_nesting_depth = 0\n");
	ck_assert_uint_eq(set->ldap_timeout, 300);
	ck_assert_uint_eq(set->group_nesting_depth, 0);
}
END_TEST

START_TEST(test_bad_enum_is_refused)
{
	parse_fails(REQUIRED "ldap_tls_require_cert = hard\n",
		    "test.conf:3: ldap_tls_require_cert: ", "demand");
	parse_fails(REQUIRED "login_order = reverse\n",
		    "test.conf:3: login_order: ", "target-first");
	parse_ok(REQUIRED "ldap_tls_require_cert = never\n");
	ck_assert_int_eq(set->ldap_tls_require_cert, FA_TLS_REQUIRE_NEVER);
}
END_TEST

START_TEST(test_min_right_none_is_refused)
{
	/* a minimum of "none" would let an explicit deny log in */
	parse_fails(REQUIRED "min_right = none\n",
		    "test.conf:3: min_right: ", "read");
	parse_fails(REQUIRED "min_right = superuser\n",
		    "test.conf:3: min_right: ");
	parse_fails(REQUIRED "min_right = lrws\n", "test.conf:3: min_right: ");
	parse_ok(REQUIRED "min_right = all\n");
	ck_assert_int_eq(set->min_right, ACL_RIGHT_ALL);
}
END_TEST

START_TEST(test_ldap_uris_is_required)
{
	parse_fails("ldap_base = dc=example,dc=com\n",
		    "test.conf: ", "missing required setting", "ldap_uris");
	parse_fails("ldap_uris =\nldap_base = dc=example,dc=com\n",
		    "test.conf:", "ldap_uris", "at least one");
}
END_TEST

START_TEST(test_ldap_base_is_required)
{
	parse_fails("ldap_uris = ldap://127.0.0.1/\n",
		    "test.conf: ", "missing required setting", "ldap_base");
	parse_fails("", "test.conf: ", "missing required setting");
}
END_TEST

START_TEST(test_uri_must_be_ldap_ldaps_or_ldapi)
{
	parse_fails("ldap_uris = http://127.0.0.1/\n"
		    "ldap_base = dc=example,dc=com\n",
		    "test.conf:", "ldap_uris", "http://127.0.0.1/");
	/* one bad URI among good ones is enough */
	parse_fails("ldap_uris = ldap://a/ 127.0.0.1:389\n"
		    "ldap_base = dc=example,dc=com\n",
		    "test.conf:", "ldap_uris", "'127.0.0.1:389'");
	parse_ok("ldap_uris = ldap://a/ ldaps://b:636/ ldapi://%2Frun%2Fslapd\n"
		 "ldap_base = dc=example,dc=com\n");
	ck_assert_str_eq(set->ldap_uris,
			 "ldap://a/ ldaps://b:636/ ldapi://%2Frun%2Fslapd");
}
END_TEST

START_TEST(test_filter_with_unbalanced_parentheses_is_refused)
{
	parse_fails(REQUIRED "person_filter = (&(uid=%u)\n",
		    "test.conf:", "person_filter", "unbalanced");
	parse_fails(REQUIRED "target_filter = (mail=%u))(\n",
		    "test.conf:", "target_filter", "unbalanced");
	parse_fails(REQUIRED "group_filter = (memberUid=%{uid})(\n",
		    "test.conf:", "group_filter", "unbalanced");
	parse_fails(REQUIRED "person_disabled_filter = (shadowExpire=1\n",
		    "test.conf:", "person_disabled_filter", "unbalanced");
	parse_fails(REQUIRED "person_filter = uid=%u\n",
		    "test.conf:", "person_filter", "'('");
}
END_TEST

START_TEST(test_filter_with_unknown_variable_is_refused)
{
	parse_fails(REQUIRED "target_filter = (mail=%x)\n",
		    "test.conf:", "target_filter", "%x");
	parse_fails(REQUIRED "person_filter = (uid=%{login})\n",
		    "test.conf:", "person_filter", "%{login}");
	/* the person's DN is known only once the person has been found */
	parse_fails(REQUIRED "person_filter = (member=%{dn})\n",
		    "test.conf:", "person_filter", "%{dn}");
	parse_ok(REQUIRED "group_filter = (|(uniqueMember=%{dn})"
		 "(memberUid=%{uid}))\n");
}
END_TEST

START_TEST(test_userdb_template_with_unknown_variable_is_refused)
{
	parse_fails(REQUIRED "userdb_home = /var/vmail/%z\n",
		    "test.conf:", "userdb_home", "%z");
}
END_TEST

START_TEST(test_both_rules_off_is_refused)
{
	parse_fails(REQUIRED "member_attribute =\nacl_attribute =\n",
		    "test.conf:", "member_attribute", "acl_attribute");
}
END_TEST

/* --- the service account's password --- */

START_TEST(test_password_and_password_file_exclude_each_other)
{
	char text[1024];

	write_password_file("s3cret\n", 0600);
	snprintf(text, sizeof(text), "ldap_bind_password = s3cret\n%s",
		 with_password_file());
	parse_fails(text, "test.conf:", "ldap_bind_password",
		    "ldap_bind_password_file", "exclusive");
}
END_TEST

START_TEST(test_password_file_readable_by_others_is_refused)
{
	write_password_file("s3cret\n", 0644);
	parse_fails(with_password_file(), "test.conf:",
		    "ldap_bind_password_file", password_path, "chmod 600");
	fa_settings_free(&set);
	ck_assert_int_eq(chmod(password_path, 0640), 0);
	parse_fails(with_password_file(), "test.conf:",
		    "ldap_bind_password_file", "chmod 600");
}
END_TEST

START_TEST(test_password_file_of_mode_0600_is_read)
{
	write_password_file("s3cret\n", 0600);
	parse_ok(with_password_file());
	ck_assert_str_eq(set->ldap_bind_password, "s3cret");
	ck_assert_str_eq(set->ldap_bind_password_file, password_path);
	ck_assert_str_eq(set->ldap_bind_dn,
			 "cn=dovecot,cn=users,dc=example,dc=com");
}
END_TEST

START_TEST(test_missing_password_file_is_refused)
{
	parse_fails(REQUIRED
		    "ldap_bind_dn = cn=dovecot,dc=example,dc=com\n"
		    "ldap_bind_password_file = /nonexistent/fa-secret\n",
		    "test.conf:", "ldap_bind_password_file",
		    "/nonexistent/fa-secret");
}
END_TEST

START_TEST(test_password_without_bind_dn_is_refused)
{
	parse_fails(REQUIRED "ldap_bind_password = s3cret\n",
		    "test.conf:", "ldap_bind_dn");
}
END_TEST

/* --- logins --- */

START_TEST(test_bad_separators_are_refused)
{
	static const struct {
		const char *value, *reason;
	} bad[] = {
		{ "a", "punctuation" },
		{ "/ x", "punctuation" },
		{ "7", "punctuation" },
		{ "@", "punctuation" },
		{ ".", "punctuation" },
		{ "%", "punctuation" },
		{ "+", "punctuation" },
		{ "//", "punctuation" },	/* one character each */
		{ "/*", "punctuation" },	/* listed with spaces */
		{ "/ * /", "twice" },
		{ "\"\"", "at least one" },
	};
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), REQUIRED "separators = %s\n",
			 bad[i].value);
		parse_fails(text, "test.conf:", "separators", bad[i].reason);
	}
}
END_TEST

START_TEST(test_separators_are_kept_in_their_order)
{
	parse_ok(REQUIRED "separators = \\ /\n");
	ck_assert_str_eq(set->separators, "\\/");
	parse_ok(REQUIRED "separators = * /\n");
	ck_assert_str_eq(set->separators, "*/");
	parse_ok(REQUIRED "separators = !\n");
	ck_assert_str_eq(set->separators, "!");
}
END_TEST

START_TEST(test_target_first_order_reaches_login_split)
{
	struct login_split_settings split_set;
	struct login_parts parts;
	const char *split_error = NULL;

	parse_ok(REQUIRED "login_order = target-first\nseparators = *\n");
	ck_assert_int_eq(set->login_order, LOGIN_ORDER_TARGET_FIRST);
	fa_settings_login_split(set, &split_set);
	ck_assert_str_eq(split_set.separators, "*");
	ck_assert_int_eq(split_set.order, LOGIN_ORDER_TARGET_FIRST);

	ck_assert_int_eq(login_split("info@example.com*alice@example.com",
				     &split_set, &set->arena, &parts,
				     &split_error), LOGIN_SPLIT_OK);
	ck_assert_str_eq(parts.target, "info@example.com");
	ck_assert_str_eq(parts.person, "alice@example.com");
}
END_TEST

/* --- reading from disk --- */

START_TEST(test_read_names_the_file_it_read)
{
	char path[] = "/tmp/fa-test-conf.XXXXXX";
	const char *text = REQUIRED "ldap_timeout = 9\n";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(fa_settings_read(path, &set, &error), 0);
	ck_assert_str_eq(set->path, path);
	ck_assert_uint_eq(set->ldap_timeout, 9);
	fa_settings_free(&set);

	fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "bogus = 1\n", 10), 10);
	close(fd);
	ck_assert_int_eq(fa_settings_read(path, &set, &error), -1);
	ck_assert_ptr_null(set);
	ck_assert_int_eq(strncmp(error, path, strlen(path)), 0);
	ck_assert_ptr_nonnull(strstr(error, ":4: unknown setting"));
	(void)unlink(path);

	ck_assert_int_eq(fa_settings_read("/nonexistent/fa.conf", &set,
					  &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "/nonexistent/fa.conf"));
}
END_TEST

START_TEST(test_free_clears_the_pointer)
{
	parse_ok(REQUIRED);
	fa_settings_free(&set);
	ck_assert_ptr_null(set);
	fa_settings_free(&set);
}
END_TEST

/* --- where an error is --- */

/* The header promises "path:line: reason" and the example config says
   bad values stop Dovecot "with file:line: reason": a value that is
   checked only after the whole file was read must still name its line. */
START_TEST(test_bad_value_checked_after_reading_names_its_line)
{
	static const struct {
		const char *text, *line;
	} cases[] = {
		{ REQUIRED "person_filter = (&(uid=%u)\n", "test.conf:3: " },
		{ REQUIRED "target_filter = (mail=%x)\n", "test.conf:3: " },
		{ "ldap_uris = http://x/\nldap_base = dc=example,dc=com\n",
		  "test.conf:1: " },
		{ REQUIRED "\nseparators = @\n", "test.conf:4: " },
		{ REQUIRED "userdb_home = /var/vmail/%z\n", "test.conf:3: " },
		{ REQUIRED "ldap_bind_dn = cn=svc\n"
		  "ldap_bind_password_file = /nonexistent/fa-secret\n",
		  "test.conf:4: " },
	};
	char missing[2048] = "";
	size_t i, len;

	/* report every case, not just the first */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(parse(cases[i].text), -1);
		if (strncmp(error, cases[i].line, strlen(cases[i].line)) == 0)
			continue;
		len = strlen(missing);
		snprintf(missing + len, sizeof(missing) - len,
			 "\n  \"%s\" (expected prefix \"%s\")",
			 error, cases[i].line);
	}
	ck_assert_msg(missing[0] == '\0', "errors without their line:%s",
		      missing);
}
END_TEST

static Suite *settings_suite(void)
{
	Suite *s = suite_create("fa-settings");
	TCase *tc;

	tc = tcase_create("syntax");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_minimal_config_gets_ucs_defaults);
	tcase_add_test(tc, test_search_bases_default_to_ldap_base);
	tcase_add_test(tc, test_smtp_services_are_matched_word_by_word);
	tcase_add_test(tc, test_comments_blank_lines_and_crlf_are_ignored);
	tcase_add_test(tc, test_quoted_value_keeps_hash_and_spaces);
	tcase_add_test(tc, test_empty_value_clears_a_default);
	tcase_add_test(tc, test_broken_quotes_are_refused);
	tcase_add_test(tc, test_line_without_equals_is_refused);
	tcase_add_test(tc, test_unknown_setting_names_file_and_line);
	tcase_add_test(tc, test_setting_twice_is_refused_at_the_second);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bad_bool_is_refused);
	tcase_add_test(tc, test_bad_number_is_refused);
	tcase_add_test(tc, test_bad_enum_is_refused);
	tcase_add_test(tc, test_min_right_none_is_refused);
	tcase_add_test(tc, test_ldap_uris_is_required);
	tcase_add_test(tc, test_ldap_base_is_required);
	tcase_add_test(tc, test_uri_must_be_ldap_ldaps_or_ldapi);
	tcase_add_test(tc, test_filter_with_unbalanced_parentheses_is_refused);
	tcase_add_test(tc, test_filter_with_unknown_variable_is_refused);
	tcase_add_test(tc, test_userdb_template_with_unknown_variable_is_refused);
	tcase_add_test(tc, test_both_rules_off_is_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("password");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_password_and_password_file_exclude_each_other);
	tcase_add_test(tc, test_password_file_readable_by_others_is_refused);
	tcase_add_test(tc, test_password_file_of_mode_0600_is_read);
	tcase_add_test(tc, test_missing_password_file_is_refused);
	tcase_add_test(tc, test_password_without_bind_dn_is_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("logins");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bad_separators_are_refused);
	tcase_add_test(tc, test_separators_are_kept_in_their_order);
	tcase_add_test(tc, test_target_first_order_reaches_login_split);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_read_names_the_file_it_read);
	tcase_add_test(tc, test_free_clears_the_pointer);
	tcase_add_test(tc, test_bad_value_checked_after_reading_names_its_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(settings_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
