/* test-session-fields - the userdb reply of a session in both Dovecot
   dialects (session-fields.c): the grant field round-trips and refuses
   anything malformed or foreign; 2.3 and 2.4 sessions get the same
   mailbox, quota and ACL group, each spelled as that version reads it
   (2.3 also the plugins: 2.4 cannot take them from the userdb); a lookup no passdb authorised gets the mailbox fields only;
   '%' from the directory never reaches 2.4 unescaped. */

#include "session-fields.h"
#include "fa-settings.h"
#include "arena.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct arena arena;
static struct fa_settings *set;
static char reply[4096];

static void setup(void)
{
	arena_init(&arena, 512);
	set = NULL;
	reply[0] = '\0';
}

static void teardown(void)
{
	fa_settings_free(&set);
	arena_free(&arena);
}

static void settings(const char *extra)
{
	char text[2048];
	const char *error = NULL;

	snprintf(text, sizeof(text), "ldap_uris = ldap://127.0.0.1/\n"
		 "ldap_base = dc=example,dc=com\n%s", extra);
	ck_assert_msg(fa_settings_parse("t.conf", text, strlen(text), &set,
					&error) == 0, "%s", error);
}

/* the reply as "key=value\n" lines, in emitted order */
static void collect(void *context, const char *key, const char *value)
{
	ck_assert_ptr_eq(context, reply);
	strncat(reply, key, sizeof(reply) - strlen(reply) - 1);
	strncat(reply, "=", sizeof(reply) - strlen(reply) - 1);
	strncat(reply, value, sizeof(reply) - strlen(reply) - 1);
	strncat(reply, "\n", sizeof(reply) - strlen(reply) - 1);
}

static void fields(enum session_dialect dialect, const char *person,
		   enum acl_right right, const char *quota)
{
	struct session_identity id = {
		.user = "info@example.com", .uid = "999", .gid = "998",
		.quota_mb = quota, .person = person, .right = right,
	};
	const char *error = NULL;

	reply[0] = '\0';
	ck_assert_msg(session_fields(set, dialect, &arena, &id, collect,
				     reply, &error) == 0, "%s", error);
}

START_TEST(test_grant_round_trips)
{
	struct session_grant in = { ACL_RIGHT_APPEND, "500",
				    "info@example.com" }, out;
	const char *value, *error;

	value = session_grant_format(&arena, &in);
	ck_assert_str_eq(value, "append 500 info@example.com");
	ck_assert_int_eq(session_grant_parse(&arena, value, "info@example.com",
					     &out, &error), 0);
	ck_assert_int_eq(out.right, ACL_RIGHT_APPEND);
	ck_assert_str_eq(out.quota_mb, "500");
	ck_assert_str_eq(out.target, "info@example.com");

	in.quota_mb = NULL;
	value = session_grant_format(&arena, &in);
	ck_assert_str_eq(value, "append - info@example.com");
	ck_assert_int_eq(session_grant_parse(&arena, value, "info@example.com",
					     &out, &error), 0);
	ck_assert_ptr_null(out.quota_mb);
}
END_TEST

START_TEST(test_grant_refuses_malformed_or_foreign)
{
	static const char *const bad[] = {
		"", "read", "read 5", "read  info@example.com",
		"none - info@example.com", "bogus - info@example.com",
		"read - sales@example.com", "read - info@example.com ",
		"read - INFO@example.com", " read - info@example.com",
		"read 5% info@example.com", "read 1:x info@example.com",
		"read -- info@example.com",
	};
	struct session_grant out;
	const char *error;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error = NULL;
		ck_assert_msg(session_grant_parse(&arena, bad[i],
						  "info@example.com", &out,
						  &error) == -1,
			      "accepted '%s'", bad[i]);
		ck_assert_ptr_nonnull(error);
		/* the refused value is never quoted into the log line */
		ck_assert_msg(bad[i][0] == '\0' ||
			      strstr(error, bad[i]) == NULL,
			      "error quotes '%s': %s", bad[i], error);
	}
}
END_TEST

START_TEST(test_dovecot23_session)
{
	settings("userdb_home = /var/vmail/%d/%n\n"
		 "userdb_mail = maildir:~/Maildir\n"
		 "session_acl = vfile:/etc/dovecot/global-acls\n");
	fields(SESSION_DIALECT_DOVECOT23, "alice@example.com", ACL_RIGHT_READ,
	       "500");
	ck_assert_str_eq(reply,
		"home=/var/vmail/example.com/info\n"
		"mail=maildir:~/Maildir\n"
		"uid=999\ngid=998\n"
		"quota_rule=*:storage=500M\n"
		"functional_acl_groups=functional-read\n"
		"acl=vfile:/etc/dovecot/global-acls\n"
		"mail_plugins+= acl functional_session\n");
}
END_TEST

START_TEST(test_dovecot24_session)
{
	settings("userdb_home = /var/vmail/%d/%n\n"
		 "userdb_mail = maildir:~/Maildir\n"
		 "session_acl = vfile:/etc/dovecot/global-acls\n");
	fields(SESSION_DIALECT_DOVECOT24, "alice@example.com", ACL_RIGHT_READ,
	       "500");
	ck_assert_str_eq(reply,
		"home=/var/vmail/example.com/info\n"
		"mail_driver=maildir\nmail_path=~/Maildir\n"
		"uid=999\ngid=998\n"
		"quota_storage_size=500M\n"
		"functional_acl_groups=functional-read\n"
		"acl_user=alice@example.com\n"
		"acl_driver=vfile\nacl_global_path=/etc/dovecot/global-acls\n");
}
END_TEST

START_TEST(test_lookup_without_person_gets_mailbox_fields_only)
{
	enum session_dialect d;

	settings("userdb_home = /var/vmail/%d/%n\n");
	for (d = SESSION_DIALECT_DOVECOT23; d <= SESSION_DIALECT_DOVECOT24;
	     d++) {
		fields(d, NULL, ACL_RIGHT_UNSET, NULL);
		ck_assert_str_eq(reply, "home=/var/vmail/example.com/info\n"
				 "uid=999\ngid=998\n");
	}
}
END_TEST

START_TEST(test_dovecot24_escapes_percent)
{
	settings("userdb_home = /var/vmail/%u\n");
	fields(SESSION_DIALECT_DOVECOT24, "a%{user}@example.com",
	       ACL_RIGHT_ALL, "5%");
	ck_assert_str_eq(reply,
		"home=/var/vmail/info@example.com\n"
		"uid=999\ngid=998\n"
		"quota_storage_size=5%%M\n"
		"functional_acl_groups=functional-all\n"
		"acl_user=a%%{user}@example.com\n");
	fields(SESSION_DIALECT_DOVECOT23, "a%{user}@example.com",
	       ACL_RIGHT_ALL, NULL);
	ck_assert_ptr_nonnull(strstr(reply, "functional_acl_groups="
				     "functional-all\n"));
}
END_TEST

START_TEST(test_dovecot24_refuses_what_it_cannot_spell)
{
	const char *error = NULL;

	settings("userdb_mail = maildir:~/Maildir:LAYOUT=fs\n");
	ck_assert_int_eq(session_settings_check(set, SESSION_DIALECT_DOVECOT23,
						&error), 0);
	ck_assert_int_eq(session_settings_check(set, SESSION_DIALECT_DOVECOT24,
						&error), -1);
	ck_assert_ptr_nonnull(strstr(error, "userdb_mail"));
	fa_settings_free(&set);
	settings("session_acl = :x\n");
	ck_assert_int_eq(session_settings_check(set, SESSION_DIALECT_DOVECOT24,
						&error), -1);
	ck_assert_ptr_nonnull(strstr(error, "session_acl"));
	fa_settings_free(&set);
	settings("userdb_mail = maildir:~/Maildir\nsession_acl = vfile\n");
	ck_assert_int_eq(session_settings_check(set, SESSION_DIALECT_DOVECOT24,
						&error), 0);
}
END_TEST

static Suite *session_fields_suite(void)
{
	Suite *s = suite_create("session-fields");
	TCase *tc = tcase_create("session-fields");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_grant_round_trips);
	tcase_add_test(tc, test_grant_refuses_malformed_or_foreign);
	tcase_add_test(tc, test_dovecot23_session);
	tcase_add_test(tc, test_dovecot24_session);
	tcase_add_test(tc, test_lookup_without_person_gets_mailbox_fields_only);
	tcase_add_test(tc, test_dovecot24_escapes_percent);
	tcase_add_test(tc, test_dovecot24_refuses_what_it_cannot_spell);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(session_fields_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
