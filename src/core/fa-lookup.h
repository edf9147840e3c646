#ifndef FA_LOOKUP_H
#define FA_LOOKUP_H

/* fa-lookup - gather the facts for one login from the directory and hand
   them to grant_decide(). Input: person and target as typed (already
   split and checked by login-split) and the password. Output: exactly one
   callback with a result; never a grant on error, timeout or doubt. One
   deadline, ldap_timeout, covers everything a login waits for. */

#include "grant-decide.h"
#include "fa-loop.h"

#include <stdbool.h>

struct fa_settings;
struct fa_context;
struct fa_lookup;

enum fa_status {
	/* the directory could not answer: try again later */
	FA_TEMPFAIL = -1,
	/* refused for a reason other than the password */
	FA_DENIED = 0,
	/* the password was empty or the bind refused it */
	FA_BAD_PASSWORD,
	/* userdb: no such functional account */
	FA_UNKNOWN_TARGET,
	FA_GRANTED,
};

struct fa_result {
	enum fa_status status;
	/* why it was denied or failed; NULL when granted */
	const char *reason;
	/* the person's canonical name (master_user) and DN, if found */
	const char *person_name;
	const char *person_dn;
	/* the mailbox name the session runs as, and its DN, if found */
	const char *target_name;
	const char *target_dn;
	/* quota in MB from the first quota attribute present, or NULL */
	const char *quota_mb;
	/* the decision, when one was made; decision.right is ACL_RIGHT_UNSET
	   unless a functional account was decided on */
	struct grant_decision decision;
	/* false only from fa_lookup_explain(): nobody's password was
	   verified, so FA_GRANTED means "authorised, if the password is
	   right" */
	bool password_checked;
	/* what was checked, step by step (only if asked for) */
	const char *const *trace;
	unsigned int trace_count;
};

typedef void fa_lookup_callback_t(const struct fa_result *result,
				  void *context);

struct fa_lookup_request {
	/* as typed; target NULL for an ordinary login (plain_logins) */
	const char *person;
	const char *target;
	/* the person's password (copied; wiped when the lookup ends); NULL
	   or empty is a bad password, never asked of the directory */
	const char *password;
	/* the login is for sending mail (smtp_services): the right must
	   also reach send_min_right */
	bool sending;
	/* collect result->trace */
	bool want_trace;
};

struct fa_context *fa_context_init(const struct fa_settings *set,
				   struct fa_loop *loop);
/* fa_context_deinit - every lookup still running ends with FA_TEMPFAIL
   ("shutting down") before the connections close */
void fa_context_deinit(struct fa_context **ctx_p);

/* fa_lookup_auth - authenticate and authorise; the callback runs from the
   loop, never inside this call. The result is valid during the callback. */
struct fa_lookup *fa_lookup_auth(struct fa_context *ctx,
				 const struct fa_lookup_request *request,
				 fa_lookup_callback_t *callback, void *context);
/* fa_lookup_explain - the same lookup and decision without a password
   and without a bind (request->password is ignored), for the admin's
   explain tool: result->password_checked is false */
struct fa_lookup *fa_lookup_explain(struct fa_context *ctx,
				    const struct fa_lookup_request *request,
				    fa_lookup_callback_t *callback,
				    void *context);
/* fa_lookup_send_as - may the person (an SMTP login the mail server has
   authenticated) send as sender? FA_UNKNOWN_TARGET: sender is not a
   functional account (the person is then not looked up); FA_GRANTED:
   the person has at least send_min_right on it; result->password_checked
   is false (no bind). */
struct fa_lookup *fa_lookup_send_as(struct fa_context *ctx, const char *person,
				   const char *sender, bool want_trace,
				   fa_lookup_callback_t *callback,
				   void *context);
/* fa_lookup_target - find a functional account by mailbox name (userdb) */
struct fa_lookup *fa_lookup_target(struct fa_context *ctx, const char *target,
				   bool want_trace,
				   fa_lookup_callback_t *callback, void *context);
/* fa_lookup_abort - stop; the callback is not called */
void fa_lookup_abort(struct fa_lookup **lookup_p);

/* fa_status_name - "granted", "denied", ... for log lines */
const char *fa_status_name(enum fa_status status);

#endif
