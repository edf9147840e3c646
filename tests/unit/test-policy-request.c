/* test-policy-request - Postfix policy requests framed, bounded and read
   as SMTPD_POLICY_README describes them; answers for each outcome; nothing
   malformed is ever a send-as question. */

#include "policy-request.h"
#include "arena.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POSTFIX_REQUEST \
	"request=smtpd_access_policy\n" \
	"protocol_state=MAIL\n" \
	"protocol_name=ESMTP\n" \
	"client_address=192.0.2.7\n" \
	"client_name=client.example.net\n" \
	"helo_name=client\n" \
	"sender=info@example.com\n" \
	"recipient=\n" \
	"queue_id=\n" \
	"instance=1c2f.6756d4c2.8d3c0.0\n" \
	"size=0\n" \
	"sasl_method=PLAIN\n" \
	"sasl_username=alice@example.com\n" \
	"sasl_sender=\n" \
	"ccert_subject=\n" \
	"encryption_protocol=TLSv1.3\n" \
	"\n"

static struct arena arena;
static struct policy_request request;

static void setup(void)
{
	arena_init(&arena, 1024);
	memset(&request, 0, sizeof(request));
}

static void teardown(void)
{
	arena_free(&arena);
}

/* reset - a fresh request and arena within one test */
static void reset(void)
{
	teardown();
	setup();
}

/* frame - scan text in one go; its result, the request size in *size_r */
static enum policy_frame_result frame(const char *text, size_t len,
				      size_t *size_r, const char **error_r)
{
	struct policy_frame f;

	policy_frame_init(&f);
	*size_r = 0;
	*error_r = NULL;
	return policy_frame_scan(&f, text, len, size_r, error_r);
}

static void parse(const char *text)
{
	policy_request_parse(&arena, text, strlen(text), &request);
}

START_TEST(test_postfix_request_is_framed_and_read)
{
	const char *error;
	size_t size;

	ck_assert_int_eq(frame(POSTFIX_REQUEST, strlen(POSTFIX_REQUEST),
			       &size, &error), POLICY_FRAME_REQUEST);
	ck_assert_uint_eq(size, strlen(POSTFIX_REQUEST));
	parse(POSTFIX_REQUEST);
	ck_assert_ptr_null(request.malformed);
	ck_assert_str_eq(request.request, "smtpd_access_policy");
	ck_assert_str_eq(request.sender, "info@example.com");
	ck_assert_str_eq(request.sasl_username, "alice@example.com");
	ck_assert_str_eq(request.client_address, "192.0.2.7");
	ck_assert_str_eq(request.queue_id, "");
	ck_assert_str_eq(request.protocol_state, "MAIL");
	ck_assert_int_eq(policy_request_question(&request),
			 POLICY_QUESTION_SEND_AS);
}
END_TEST

START_TEST(test_byte_at_a_time_frames_the_same)
{
	const char *text = POSTFIX_REQUEST POSTFIX_REQUEST, *error;
	struct policy_frame f;
	size_t i, size = 0;
	enum policy_frame_result ret = POLICY_FRAME_MORE;

	policy_frame_init(&f);
	for (i = 1; i <= strlen(text); i++) {
		ret = policy_frame_scan(&f, text, i, &size, &error);
		if (ret != POLICY_FRAME_MORE)
			break;
	}
	/* the first request ends where it ends, not at the second's end */
	ck_assert_int_eq(ret, POLICY_FRAME_REQUEST);
	ck_assert_uint_eq(size, strlen(POSTFIX_REQUEST));
	ck_assert_uint_eq(i, strlen(POSTFIX_REQUEST));
}
END_TEST

START_TEST(test_incomplete_request_wants_more)
{
	static const char text[] = "request=smtpd_access_policy\nsender=a@b\n";
	const char *error;
	size_t size;

	ck_assert_int_eq(frame(text, strlen(text), &size, &error),
			 POLICY_FRAME_MORE);
	ck_assert_int_eq(frame("", 0, &size, &error), POLICY_FRAME_MORE);
}
END_TEST

START_TEST(test_lone_empty_line_is_an_empty_request)
{
	const char *error;
	size_t size;

	ck_assert_int_eq(frame("\n", 1, &size, &error), POLICY_FRAME_REQUEST);
	ck_assert_uint_eq(size, 1);
	parse("\n");
	ck_assert_str_eq(request.malformed, "attribute request missing");
	ck_assert_int_eq(policy_request_question(&request),
			 POLICY_QUESTION_MALFORMED);
}
END_TEST

START_TEST(test_nul_byte_breaks_the_frame)
{
	static const char text[] = "request=smtpd\0_access_policy\n\n";
	const char *error;
	size_t size;

	ck_assert_int_eq(frame(text, sizeof(text) - 1, &size, &error),
			 POLICY_FRAME_BROKEN);
	ck_assert_str_eq(error, "NUL byte in the request");
}
END_TEST

/* line_request - a request whose sender line is line_len bytes long,
   newline excluded, followed by the empty line */
static char *line_request(size_t line_len)
{
	char *text = malloc(line_len + 3);

	ck_assert_ptr_nonnull(text);
	memset(text, 'a', line_len);
	memcpy(text, "sender=", 7);
	memcpy(text + line_len, "\n\n", 3);
	return text;
}

START_TEST(test_line_of_8192_bytes_is_accepted)
{
	char *text = line_request(POLICY_LINE_MAX);
	const char *error;
	size_t size;

	ck_assert_int_eq(frame(text, strlen(text), &size, &error),
			 POLICY_FRAME_REQUEST);
	free(text);
}
END_TEST

START_TEST(test_line_of_8193_bytes_breaks_the_frame)
{
	char *text = line_request(POLICY_LINE_MAX + 1);
	const char *error;
	size_t size;

	ck_assert_int_eq(frame(text, strlen(text), &size, &error),
			 POLICY_FRAME_BROKEN);
	ck_assert_str_eq(error, "line longer than 8192 bytes");
	free(text);
}
END_TEST

/* attr_request - count lines "x=1", then the empty line */
static char *attr_request(unsigned int count)
{
	char *text = malloc(count * 4 + 2), *p = text;
	unsigned int i;

	ck_assert_ptr_nonnull(text);
	for (i = 0; i < count; i++, p += 4)
		memcpy(p, "x=1\n", 4);
	memcpy(p, "\n", 2);
	return text;
}

START_TEST(test_256_attributes_are_accepted_257_break)
{
	char *text = attr_request(POLICY_ATTRIBUTES_MAX);
	const char *error;
	size_t size;

	ck_assert_int_eq(frame(text, strlen(text), &size, &error),
			 POLICY_FRAME_REQUEST);
	free(text);
	text = attr_request(POLICY_ATTRIBUTES_MAX + 1);
	ck_assert_int_eq(frame(text, strlen(text), &size, &error),
			 POLICY_FRAME_BROKEN);
	ck_assert_str_eq(error, "more than 256 attributes");
	free(text);
}
END_TEST

START_TEST(test_request_over_64k_breaks_the_frame)
{
	/* 200 lines of 400 bytes: no line too long, not too many lines */
	size_t len = 200 * 400, i;
	char *text = malloc(len + 1);
	const char *error;
	size_t size;

	ck_assert_ptr_nonnull(text);
	memset(text, 'v', len);
	for (i = 0; i < 200; i++) {
		text[i * 400] = 'x';
		text[i * 400 + 1] = '=';
		text[i * 400 + 399] = '\n';
	}
	text[len] = '\0';
	ck_assert_int_eq(frame(text, len, &size, &error), POLICY_FRAME_BROKEN);
	ck_assert_str_eq(error, "request longer than 65536 bytes");
	free(text);
}
END_TEST

START_TEST(test_missing_attributes_are_malformed)
{
	parse("sender=info@example.com\nsasl_username=alice\n\n");
	ck_assert_str_eq(request.malformed, "attribute request missing");
	reset();
	parse("request=smtpd_access_policy\nsasl_username=alice\n\n");
	ck_assert_str_eq(request.malformed, "attribute sender missing");
	reset();
	parse("request=smtpd_access_policy\nsender=info@example.com\n\n");
	ck_assert_str_eq(request.malformed, "attribute sasl_username missing");
	ck_assert_int_eq(policy_request_question(&request),
			 POLICY_QUESTION_MALFORMED);
}
END_TEST

START_TEST(test_other_request_kind_is_malformed)
{
	parse("request=junk\nsender=info@example.com\nsasl_username=alice\n\n");
	ck_assert_str_eq(request.malformed, "not request=smtpd_access_policy");
}
END_TEST

START_TEST(test_attribute_twice_is_malformed)
{
	/* which sender would be meant? neither */
	parse("request=smtpd_access_policy\nsender=bob@example.com\n"
	      "sasl_username=alice\nsender=info@example.com\n\n");
	ck_assert_str_eq(request.malformed, "attribute given twice: sender");
	ck_assert_int_eq(policy_request_question(&request),
			 POLICY_QUESTION_MALFORMED);
	reset();
	parse("request=smtpd_access_policy\nsender=info@example.com\n"
	      "sasl_username=alice\nsasl_username=carol\n\n");
	ck_assert_str_eq(request.malformed,
			 "attribute given twice: sasl_username");
}
END_TEST

START_TEST(test_line_without_equals_is_malformed)
{
	parse("request=smtpd_access_policy\nsender=info@example.com\n"
	      "sasl_username=alice\ngarbage\n\n");
	ck_assert_str_eq(request.malformed, "a line is not name=value");
	reset();
	parse("=x\nrequest=smtpd_access_policy\nsender=info@example.com\n"
	      "sasl_username=alice\n\n");
	ck_assert_str_eq(request.malformed, "a line is not name=value");
}
END_TEST

START_TEST(test_control_characters_are_malformed)
{
	parse("request=smtpd_access_policy\nsender=info@example.com\r\n"
	      "sasl_username=alice\n\n");
	ck_assert_str_eq(request.malformed, "control characters or over 1024 "
			 "bytes in attribute: sender");
	reset();
	parse("request=smtpd_access_policy\nsender=info@example.com\n"
	      "sasl_username=al\x1b[1mice\n\n");
	ck_assert_int_eq(policy_request_question(&request),
			 POLICY_QUESTION_MALFORMED);
}
END_TEST

START_TEST(test_address_over_1024_bytes_is_malformed)
{
	char text[1200];

	snprintf(text, sizeof(text), "request=smtpd_access_policy\n"
		 "sasl_username=alice\nsender=%01025d\n\n", 0);
	parse(text);
	ck_assert_str_eq(request.malformed, "control characters or over 1024 "
			 "bytes in attribute: sender");
	reset();
	snprintf(text, sizeof(text), "request=smtpd_access_policy\n"
		 "sasl_username=alice\nsender=%01024d\n\n", 0);
	parse(text);
	ck_assert_ptr_null(request.malformed);
}
END_TEST

START_TEST(test_unknown_attributes_are_ignored)
{
	/* binary-ish values of attributes the service does not use */
	parse("request=smtpd_access_policy\nccert_subject=\x01\x02\xff\n"
	      "sender=info@example.com\nsasl_username=alice\nfuture=x=y\n\n");
	ck_assert_ptr_null(request.malformed);
	ck_assert_int_eq(policy_request_question(&request),
			 POLICY_QUESTION_SEND_AS);
}
END_TEST

START_TEST(test_no_login_or_no_sender_asks_nothing)
{
	parse("request=smtpd_access_policy\nsender=info@example.com\n"
	      "sasl_username=\n\n");
	ck_assert_int_eq(policy_request_question(&request),
			 POLICY_QUESTION_NONE);
	reset();
	parse("request=smtpd_access_policy\nsender=\nsasl_username=alice\n\n");
	ck_assert_int_eq(policy_request_question(&request),
			 POLICY_QUESTION_NONE);
}
END_TEST

START_TEST(test_own_address_asks_nothing)
{
	parse("request=smtpd_access_policy\nsender=Info@Example.com\n"
	      "sasl_username=info@example.com\n\n");
	ck_assert_int_eq(policy_request_question(&request),
			 POLICY_QUESTION_NONE);
}
END_TEST

START_TEST(test_answers)
{
	parse(POSTFIX_REQUEST);
	ck_assert_str_eq(policy_answer(&arena, &request, FA_GRANTED),
			 "action=OK\n\n");
	ck_assert_str_eq(policy_answer(&arena, &request, FA_UNKNOWN_TARGET),
			 "action=DUNNO\n\n");
	ck_assert_str_eq(policy_answer(&arena, &request, FA_DENIED),
			 "action=REJECT 5.7.1 <info@example.com>: not allowed "
			 "to send as this functional account\n\n");
	ck_assert_str_eq(policy_answer(&arena, &request, FA_BAD_PASSWORD),
			 "action=REJECT 5.7.1 <info@example.com>: not allowed "
			 "to send as this functional account\n\n");
	ck_assert_str_eq(policy_answer(&arena, &request, FA_TEMPFAIL),
			 "action=451 4.3.0 <info@example.com>: temporary "
			 "failure, try again later\n\n");
	ck_assert_str_eq(policy_verdict_name(FA_GRANTED), "granted");
	ck_assert_str_eq(policy_verdict_name(FA_TEMPFAIL), "deferred");
}
END_TEST

START_TEST(test_unknown_status_is_a_temporary_failure)
{
	parse(POSTFIX_REQUEST);
	ck_assert_str_eq(policy_answer(&arena, &request, (enum fa_status)42),
			 "action=451 4.3.0 <info@example.com>: temporary "
			 "failure, try again later\n\n");
}
END_TEST

static Suite *policy_request_suite(void)
{
	Suite *s = suite_create("policy-request");
	TCase *tc;

	tc = tcase_create("frame");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_postfix_request_is_framed_and_read);
	tcase_add_test(tc, test_byte_at_a_time_frames_the_same);
	tcase_add_test(tc, test_incomplete_request_wants_more);
	tcase_add_test(tc, test_lone_empty_line_is_an_empty_request);
	tcase_add_test(tc, test_nul_byte_breaks_the_frame);
	tcase_add_test(tc, test_line_of_8192_bytes_is_accepted);
	tcase_add_test(tc, test_line_of_8193_bytes_breaks_the_frame);
	tcase_add_test(tc, test_256_attributes_are_accepted_257_break);
	tcase_add_test(tc, test_request_over_64k_breaks_the_frame);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_missing_attributes_are_malformed);
	tcase_add_test(tc, test_other_request_kind_is_malformed);
	tcase_add_test(tc, test_attribute_twice_is_malformed);
	tcase_add_test(tc, test_line_without_equals_is_malformed);
	tcase_add_test(tc, test_control_characters_are_malformed);
	tcase_add_test(tc, test_address_over_1024_bytes_is_malformed);
	tcase_add_test(tc, test_unknown_attributes_are_ignored);
	tcase_add_test(tc, test_no_login_or_no_sender_asks_nothing);
	tcase_add_test(tc, test_own_address_asks_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("answer");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_answers);
	tcase_add_test(tc, test_unknown_status_is_a_temporary_failure);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_request_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
