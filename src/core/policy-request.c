/* policy-request - Postfix policy requests and answers (see
   policy-request.h). */

#include "policy-request.h"
#include "arena.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

void policy_frame_init(struct policy_frame *frame)
{
	memset(frame, 0, sizeof(*frame));
}

enum policy_frame_result
policy_frame_scan(struct policy_frame *frame, const char *data, size_t size,
		  size_t *size_r, const char **error_r)
{
	size_t i;

	for (i = frame->scanned; i < size; i++) {
		if (i >= POLICY_REQUEST_MAX) {
			*error_r = "request longer than 65536 bytes";
			return POLICY_FRAME_BROKEN;
		}
		if (data[i] == '\0') {
			*error_r = "NUL byte in the request";
			return POLICY_FRAME_BROKEN;
		}
		if (data[i] != '\n') {
			if (i - frame->line_start >= POLICY_LINE_MAX) {
				*error_r = "line longer than 8192 bytes";
				return POLICY_FRAME_BROKEN;
			}
			continue;
		}
		if (i == frame->line_start) {
			frame->scanned = i + 1;
			*size_r = i + 1;
			return POLICY_FRAME_REQUEST;
		}
		if (++frame->lines > POLICY_ATTRIBUTES_MAX) {
			*error_r = "more than 256 attributes";
			return POLICY_FRAME_BROKEN;
		}
		frame->line_start = i + 1;
	}
	frame->scanned = size;
	return POLICY_FRAME_MORE;
}

static bool policy_value_ok(const char *value, size_t len)
{
	size_t i;

	if (len > POLICY_ADDRESS_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* policy_malformed - keep the first reason; attribute is one of ours
   (never text from the request, which may hold anything) or NULL */
static void policy_malformed(struct arena *arena,
			     struct policy_request *request,
			     const char *reason, const char *attribute)
{
	if (request->malformed != NULL)
		return;
	request->malformed = attribute == NULL ? reason :
		arena_printf(arena, "%s: %s", reason, attribute);
}

void policy_request_parse(struct arena *arena, const char *data, size_t size,
			  struct policy_request *request_r)
{
	static const struct {
		const char *name;
		size_t offset;
	} attrs[] = {
		{ "request", offsetof(struct policy_request, request) },
		{ "sender", offsetof(struct policy_request, sender) },
		{ "sasl_username",
		  offsetof(struct policy_request, sasl_username) },
		{ "client_address",
		  offsetof(struct policy_request, client_address) },
		{ "queue_id", offsetof(struct policy_request, queue_id) },
		{ "protocol_state",
		  offsetof(struct policy_request, protocol_state) },
	};
	const char *line = data, *end = data + size, *nl, *eq;
	size_t name_len, value_len, i;
	const char **field;

	memset(request_r, 0, sizeof(*request_r));
	while (line < end && (nl = memchr(line, '\n', end - line)) != NULL &&
	       nl != line) {
		eq = memchr(line, '=', nl - line);
		if (eq == NULL || eq == line) {
			policy_malformed(arena, request_r,
					 "a line is not name=value", NULL);
			line = nl + 1;
			continue;
		}
		name_len = eq - line;
		value_len = nl - (eq + 1);
		for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
			if (strlen(attrs[i].name) == name_len &&
			    memcmp(attrs[i].name, line, name_len) == 0)
				break;
		}
		if (i < sizeof(attrs) / sizeof(attrs[0])) {
			field = (const char **)((char *)request_r +
						attrs[i].offset);
			if (*field != NULL)
				policy_malformed(arena, request_r,
					"attribute given twice", attrs[i].name);
			else if (!policy_value_ok(eq + 1, value_len))
				policy_malformed(arena, request_r,
					"control characters or over 1024 bytes "
					"in attribute", attrs[i].name);
			else
				*field = arena_strndup(arena, eq + 1,
						       value_len);
		}
		line = nl + 1;
	}
	if (request_r->malformed != NULL)
		return;
	if (request_r->request == NULL)
		request_r->malformed = "attribute request missing";
	else if (strcmp(request_r->request, "smtpd_access_policy") != 0)
		request_r->malformed = "not request=smtpd_access_policy";
	else if (request_r->sender == NULL)
		request_r->malformed = "attribute sender missing";
	else if (request_r->sasl_username == NULL)
		request_r->malformed = "attribute sasl_username missing";
}

enum policy_question policy_request_question(const struct policy_request *request)
{
	if (request->malformed != NULL)
		return POLICY_QUESTION_MALFORMED;
	if (request->sasl_username[0] == '\0' || request->sender[0] == '\0')
		return POLICY_QUESTION_NONE;
	/* the login is the sender's own (the account's, where SMTP logins
	   as an account are on): the site's own sender checks decide */
	if (strcasecmp(request->sasl_username, request->sender) == 0)
		return POLICY_QUESTION_NONE;
	return POLICY_QUESTION_SEND_AS;
}

const char *policy_answer(struct arena *arena,
			  const struct policy_request *request,
			  enum fa_status status)
{
	switch (status) {
	case FA_GRANTED:
		return "action=OK\n\n";
	case FA_UNKNOWN_TARGET:
		return POLICY_ANSWER_DUNNO;
	case FA_DENIED:
	case FA_BAD_PASSWORD:
		return arena_printf(arena, "action=REJECT 5.7.1 <%s>: not "
				    "allowed to send as this functional "
				    "account\n\n", request->sender);
	case FA_TEMPFAIL:
		break;
	}
	return arena_printf(arena, "action=451 4.3.0 <%s>: temporary failure, "
			    "try again later\n\n", request->sender);
}

const char *policy_verdict_name(enum fa_status status)
{
	switch (status) {
	case FA_GRANTED:
		return "granted";
	case FA_UNKNOWN_TARGET:
		return "not a functional account";
	case FA_DENIED:
	case FA_BAD_PASSWORD:
		return "refused";
	case FA_TEMPFAIL:
		break;
	}
	return "deferred";
}
