#ifndef POLICY_REQUEST_H
#define POLICY_REQUEST_H

/* policy-request - Postfix's policy delegation protocol
   (SMTPD_POLICY_README): a request is "name=value" lines ended by an
   empty line; the answer is "action=..." and an empty line. Input: bytes
   from the connection, untrusted. Output: whether a whole request is in,
   its attributes, and the answer for a send-as decision. No I/O, no LDAP:
   the server (src/policy) reads and writes, fa_lookup_send_as() decides. */

#include "fa-lookup.h"

#include <stdbool.h>
#include <stddef.h>

struct arena;

/* longest line (Postfix's own attribute values are far shorter) */
#define POLICY_LINE_MAX 8192
/* largest request, empty line included */
#define POLICY_REQUEST_MAX 65536
/* most attributes in one request (Postfix 3.7 sends about 40) */
#define POLICY_ATTRIBUTES_MAX 256
/* longest sender or sasl_username the service looks up */
#define POLICY_ADDRESS_MAX 1024

/* policy_frame - finds where a request ends, a few bytes at a time: the
   bytes already scanned are not scanned again */
struct policy_frame {
	size_t scanned;
	size_t line_start;
	unsigned int lines;
};

enum policy_frame_result {
	/* no end yet: read more, then call again with all bytes so far */
	POLICY_FRAME_MORE,
	/* a whole request of *size_r bytes (its empty line included) */
	POLICY_FRAME_REQUEST,
	/* not the protocol (NUL byte, line or request too long, too many
	   attributes): answer POLICY_ANSWER_MALFORMED and close */
	POLICY_FRAME_BROKEN,
};

void policy_frame_init(struct policy_frame *frame);
/* policy_frame_scan - data holds every byte since the request began */
enum policy_frame_result
policy_frame_scan(struct policy_frame *frame, const char *data, size_t size,
		  size_t *size_r, const char **error_r);

struct policy_request {
	/* the attributes the service uses; NULL if absent */
	const char *request;
	const char *sender;
	const char *sasl_username;
	const char *client_address;
	const char *queue_id;
	const char *protocol_state;
	/* why the request cannot be answered (an attribute missing, twice,
	   or unusable), or NULL */
	const char *malformed;
};

/* policy_request_parse - the attributes of one whole request (as framed
   by policy_frame_scan(), empty line included), copied into arena */
void policy_request_parse(struct arena *arena, const char *data, size_t size,
			  struct policy_request *request_r);

enum policy_question {
	/* nothing to decide: no login or no sender */
	POLICY_QUESTION_NONE,
	/* ask fa_lookup_send_as(sasl_username, sender) */
	POLICY_QUESTION_SEND_AS,
	/* the request is malformed */
	POLICY_QUESTION_MALFORMED,
};

/* policy_request_question - what the request asks */
enum policy_question policy_request_question(const struct policy_request *request);

/* the answer to a malformed request or a broken frame */
#define POLICY_ANSWER_MALFORMED \
	"action=451 4.3.0 malformed policy request\n\n"
#define POLICY_ANSWER_DUNNO "action=DUNNO\n\n"

/* policy_answer - the answer for a send-as result: OK (granted), DUNNO
   (not a functional account), REJECT 5.7.1 (denied) or 451 4.3.0
   (temporary failure), with the sender, never the reason, in the text */
const char *policy_answer(struct arena *arena,
			  const struct policy_request *request,
			  enum fa_status status);

/* policy_verdict_name - "granted", "refused", ... for log lines */
const char *policy_verdict_name(enum fa_status status);

#endif
