/* fuzz-policy - libFuzzer target: any bytes as what a Postfix policy
   client sends. The first byte picks how the bytes arrive (one go, or
   chunks of 1..16 bytes). Checks the invariants: framing does not depend
   on how the bytes arrive; a framed request ends with its empty line and
   holds no NUL; a request is a send-as question only with
   request=smtpd_access_policy and non-empty, control-free sender and
   sasl_username; only a grant answers OK, and every answer is one line
   and the empty line. */
#include "policy-request.h"
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value(const char *value)
{
	size_t i;

	if (value == NULL)
		return;
	if (strlen(value) > POLICY_ADDRESS_MAX)
		abort();
	for (i = 0; value[i] != '\0'; i++) {
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			abort();
	}
}

static void check_answer(const char *answer, bool ok_allowed)
{
	size_t len = strlen(answer);

	if (len < 9 || strncmp(answer, "action=", 7) != 0 ||
	    strcmp(answer + len - 2, "\n\n") != 0 ||
	    memchr(answer, '\n', len - 2) != NULL)
		abort();
	if (!ok_allowed && strncmp(answer, "action=OK", 9) == 0)
		abort();
}

static void check_request(const char *data, size_t size)
{
	static const enum fa_status statuses[] = {
		FA_TEMPFAIL, FA_DENIED, FA_BAD_PASSWORD, FA_UNKNOWN_TARGET,
		FA_GRANTED,
	};
	struct policy_request request;
	struct arena arena;
	unsigned int i;

	if (size == 0 || data[size - 1] != '\n' ||
	    (size > 1 && data[size - 2] != '\n') ||
	    memchr(data, '\0', size) != NULL)
		abort();
	arena_init(&arena, 512);
	policy_request_parse(&arena, data, size, &request);
	check_value(request.sender);
	check_value(request.sasl_username);
	check_value(request.client_address);
	check_value(request.queue_id);
	switch (policy_request_question(&request)) {
	case POLICY_QUESTION_SEND_AS:
		if (request.malformed != NULL ||
		    strcmp(request.request, "smtpd_access_policy") != 0 ||
		    request.sender[0] == '\0' ||
		    request.sasl_username[0] == '\0')
			abort();
		for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
			check_answer(policy_answer(&arena, &request,
						   statuses[i]),
				     statuses[i] == FA_GRANTED);
		break;
	case POLICY_QUESTION_MALFORMED:
		if (request.malformed == NULL)
			abort();
		break;
	case POLICY_QUESTION_NONE:
		if (request.malformed != NULL)
			abort();
		break;
	}
	arena_free(&arena);
}

/* frame_all - frame data as it arrives in chunks of chunk bytes (0: all
   at once); the sizes of the requests found, and the final result */
static enum policy_frame_result frame_all(const char *data, size_t size,
					  size_t chunk, size_t *sizes,
					  unsigned int *count_r)
{
	struct policy_frame frame;
	enum policy_frame_result ret = POLICY_FRAME_MORE;
	size_t start = 0, have, request_size;
	const char *error;

	*count_r = 0;
	policy_frame_init(&frame);
	have = chunk == 0 ? size : (chunk < size ? chunk : size);
	while (start < size) {
		ret = policy_frame_scan(&frame, data + start, have - start,
					&request_size, &error);
		if (ret == POLICY_FRAME_BROKEN)
			return ret;
		if (ret == POLICY_FRAME_REQUEST) {
			sizes[(*count_r)++] = request_size;
			start += request_size;
			policy_frame_init(&frame);
			if (have < start)
				abort();
			continue;
		}
		if (have == size)
			break;
		have = chunk == 0 || have + chunk > size ? size : have + chunk;
	}
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;
	size_t *sizes_a, *sizes_b, offset = 0, chunk;
	unsigned int count_a, count_b, i;
	enum policy_frame_result ret_a, ret_b;

	if (size < 1)
		return 0;
	chunk = (data[0] % 16) + 1;
	size--;
	sizes_a = malloc(sizeof(size_t) * (size + 1));
	sizes_b = malloc(sizeof(size_t) * (size + 1));
	ret_a = frame_all(text, size, 0, sizes_a, &count_a);
	ret_b = frame_all(text, size, chunk, sizes_b, &count_b);
	if (ret_a != ret_b || count_a != count_b ||
	    memcmp(sizes_a, sizes_b, sizeof(size_t) * count_a) != 0)
		abort();
	for (i = 0; i < count_a; i++) {
		check_request(text + offset, sizes_a[i]);
		offset += sizes_a[i];
	}
	free(sizes_a);
	free(sizes_b);
	return 0;
}
