/* authdb - what Dovecot 2.3's and 2.4's auth processes share: passdb and
   userdb "functional" on the core (verify, lookup, results, log lines),
   fa_loop on Dovecot's ioloop and log, and the config file contexts. It
   compiles against either version's headers; the version's own layer
   (dovecot23/authdb23.c, dovecot24/authdb24.c) adds the module's
   settings, cache keys and registration, and its layer.h the few names
   that differ.

   Results: a login that is not ours (no separator) is USER_UNKNOWN so the
   next passdb handles it; every denial of a composite login is
   USER_DISABLED, which Dovecot treats as final whatever the result_*
   rules say, so the site's passdb never sees "alice/info"; directory
   trouble is INTERNAL_FAILURE (a temporary failure to the client). */

#include "auth-common.h"
#include "ioloop.h"
#include "str.h"
#include "ipwd.h"
#include "passdb.h"
#include "userdb.h"
#include "auth-request.h"
#include "auth-settings.h"
#include "auth-cache.h"
#include "passdb-cache.h"

#include "layer.h"
#include "authdb.h"

#include "fa-settings.h"
#include "fa-lookup.h"
#include "login-split.h"
#include "session-fields.h"
#include "arena.h"

#define FUNCTIONAL_LOG_PREFIX "functional: "

struct functional_loop {
	struct fa_loop loop;
};

/* one per config file, shared by the passdb and userdb that name it */
struct functional_context {
	struct functional_context *next;
	char *path;
	int refcount;
	struct fa_settings *set;
	struct fa_context *fa;
	/* userdb_uid and userdb_gid as numbers where they name a user and
	   group (or as configured if they do not resolve) */
	char *userdb_uid, *userdb_gid;
};

struct functional_passdb_request {
	struct auth_request *request;
	verify_plain_callback_t *callback;
	/* the target as typed, for log lines */
	const char *target_typed;
	bool plain_login;
};

struct functional_userdb_request {
	struct auth_request *request;
	userdb_callback_t *callback;
};

static struct functional_context *functional_contexts = NULL;
static struct functional_loop functional_loop;

/* --- fa_loop on Dovecot's ioloop --- */

static struct fa_loop_io *
functional_io_add(struct fa_loop *loop ATTR_UNUSED, int fd, bool want_write,
		  fa_loop_callback_t *callback, void *context)
{
	/* the io_add() macro's type check cannot see through fa_loop's
	   callback type, which is io_callback_t already */
	return (struct fa_loop_io *)(io_add)(fd, want_write ? IO_WRITE : IO_READ,
					     __FILE__, __LINE__,
					     callback, context);
}

static void functional_io_remove(struct fa_loop *loop ATTR_UNUSED,
				 struct fa_loop_io **io_p, bool closed)
{
	struct io *io = (struct io *)*io_p;

	if (closed)
		io_remove_closed(&io);
	else
		io_remove(&io);
	*io_p = NULL;
}

/* fa_loop timeouts fire once; Dovecot's repeat until removed */
struct fa_loop_timeout {
	struct timeout *to;
	fa_loop_callback_t *callback;
	void *context;
};

static void functional_timeout_fired(struct fa_loop_timeout *timeout)
{
	fa_loop_callback_t *callback = timeout->callback;
	void *context = timeout->context;

	timeout_remove(&timeout->to);
	i_free(timeout);
	callback(context);
}

static struct fa_loop_timeout *
functional_timeout_add(struct fa_loop *loop ATTR_UNUSED, unsigned int msecs,
		       fa_loop_callback_t *callback, void *context)
{
	struct fa_loop_timeout *timeout = i_new(struct fa_loop_timeout, 1);

	timeout->callback = callback;
	timeout->context = context;
	timeout->to = timeout_add_short(msecs, functional_timeout_fired,
					timeout);
	return timeout;
}

static void functional_timeout_remove(struct fa_loop *loop ATTR_UNUSED,
				      struct fa_loop_timeout **timeout_p)
{
	struct fa_loop_timeout *timeout = *timeout_p;

	*timeout_p = NULL;
	timeout_remove(&timeout->to);
	i_free(timeout);
}

static void functional_log(struct fa_loop *loop ATTR_UNUSED,
			   enum fa_log_level level, const char *message)
{
	switch (level) {
	case FA_LOG_DEBUG:
		if (global_auth_settings->debug)
			i_debug(FUNCTIONAL_LOG_PREFIX"%s", message);
		break;
	case FA_LOG_INFO:
		i_info(FUNCTIONAL_LOG_PREFIX"%s", message);
		break;
	case FA_LOG_WARNING:
		i_warning(FUNCTIONAL_LOG_PREFIX"%s", message);
		break;
	case FA_LOG_ERROR:
		i_error(FUNCTIONAL_LOG_PREFIX"%s", message);
		break;
	}
}

static struct functional_loop functional_loop = {
	.loop = {
		.io_add = functional_io_add,
		.io_remove = functional_io_remove,
		.timeout_add = functional_timeout_add,
		.timeout_remove = functional_timeout_remove,
		.log = functional_log,
	},
};

/* --- settings shared by passdb and userdb --- */

/* functional_check_auth_settings - what Dovecot itself must allow */
static int functional_check_auth_settings(const struct fa_settings *set,
					  const char **error_r)
{
	const struct auth_settings *auth_set = global_auth_settings;
	const char *sep;

	for (sep = set->separators; *sep != '\0'; sep++) {
		if (auth_set->master_user_separator[0] == *sep) {
			*error_r = t_strdup_printf("%s: separator '%c' is "
				"also auth_master_user_separator: Dovecot would "
				"split such logins before any passdb sees them; "
				"remove it from one of the two", set->path, *sep);
			return -1;
		}
		if (auth_set->username_chars[0] != '\0' &&
		    strchr(auth_set->username_chars, *sep) == NULL) {
			*error_r = t_strdup_printf("%s: separator '%c' is not "
				"in auth_username_chars: Dovecot would reject "
				"such logins before any passdb sees them; add "
				"it there (see the example config)",
				set->path, *sep);
			return -1;
		}
	}
	return 0;
}

/* functional_resolve_id - a userdb_uid/userdb_gid name as its number,
   looked up once here: given the name, Dovecot would look it up for every
   session (two NSS lookups per login, half again the auth CPU of a cached
   functional login). A name that does not resolve is kept as it is, so
   that Dovecot reports it at each login as it would without us. */
static char *functional_resolve_id(const char *path, const char *value,
				   bool group)
{
	struct passwd pw;
	struct group gr;
	int ret;

	if (value[0] == '\0' || strspn(value, "0123456789") == strlen(value))
		return i_strdup(value);
	ret = group ? i_getgrnam(value, &gr) : i_getpwnam(value, &pw);
	if (ret > 0)
		return i_strdup(dec2str(group ? gr.gr_gid : pw.pw_uid));
	i_warning(FUNCTIONAL_LOG_PREFIX"%s: userdb_%s = %s: %s; functional "
		  "sessions will fail until it resolves", path,
		  group ? "gid" : "uid", value, ret == 0 ?
		  (group ? "no such group" : "no such user") :
		  "the lookup failed");
	return i_strdup(value);
}

int functional_context_get(const char *path, struct functional_context **ctx_r,
			   const char **error_r)
{
	struct functional_context *ctx;
	struct fa_settings *set;
	const char *error;

	if (path == NULL || path[0] == '\0') {
		*error_r = FUNCTIONAL_CONFIG_MISSING;
		return -1;
	}
	for (ctx = functional_contexts; ctx != NULL; ctx = ctx->next) {
		if (strcmp(ctx->path, path) == 0) {
			ctx->refcount++;
			*ctx_r = ctx;
			return 0;
		}
	}
	if (fa_settings_read(path, &set, &error) < 0) {
		*error_r = t_strdup(error);
		return -1;
	}
	error = NULL;
	if (functional_check_auth_settings(set, error_r) < 0 ||
	    session_settings_check(set, FUNCTIONAL_DIALECT, &error) < 0) {
		if (error != NULL)
			*error_r = t_strdup_printf("%s: %s", path, error);
		fa_settings_free(&set);
		return -1;
	}
	ctx = i_new(struct functional_context, 1);
	ctx->path = i_strdup(path);
	ctx->refcount = 1;
	ctx->set = set;
	ctx->userdb_uid = functional_resolve_id(path, set->userdb_uid, FALSE);
	ctx->userdb_gid = functional_resolve_id(path, set->userdb_gid, TRUE);
	ctx->next = functional_contexts;
	functional_contexts = ctx;
	*ctx_r = ctx;
	return 0;
}

void functional_context_init(struct functional_context *ctx)
{
	if (ctx->fa == NULL)
		ctx->fa = fa_context_init(ctx->set, &functional_loop.loop);
}

void functional_context_unref(struct functional_context **ctx_p)
{
	struct functional_context *ctx = *ctx_p, **p;

	*ctx_p = NULL;
	if (--ctx->refcount > 0)
		return;
	for (p = &functional_contexts; *p != NULL; p = &(*p)->next) {
		if (*p == ctx) {
			*p = ctx->next;
			break;
		}
	}
	fa_context_deinit(&ctx->fa);
	fa_settings_free(&ctx->set);
	i_free(ctx->userdb_uid);
	i_free(ctx->userdb_gid);
	i_free(ctx->path);
	i_free(ctx);
}

/* --- logging of one request --- */

static void functional_log_trace(struct auth_request *request,
				 const struct fa_result *result)
{
	unsigned int i;

	for (i = 0; i < result->trace_count; i++)
		e_debug(authdb_event(request), "%s", result->trace[i]);
}

static const char *functional_remote_ip(struct auth_request *request)
{
	return request->fields.remote_ip.family == 0 ? "-" :
		net_ip2addr(&request->fields.remote_ip);
}

/* functional_log_grant - the audit line: always at info level */
static void functional_log_grant(struct auth_request *request,
				 const struct fa_result *result)
{
	struct event *event = event_create(authdb_event(request));

	event_set_min_log_level(event, LOG_TYPE_INFO);
	event_set_name(event, "functional_auth_granted");
	event_add_str(event, "functional_person", result->person_name);
	event_add_str(event, "functional_target", result->target_name);
	event_add_str(event, "functional_rule", result->decision.rule);
	event_add_str(event, "functional_right",
		      acl_right_name(result->decision.right));
	e_info(event, "%s acts as %s: granted by %s (right %s, service=%s, "
	       "rip=%s)", result->person_name, result->target_name,
	       result->decision.rule, acl_right_name(result->decision.right),
	       FUNCTIONAL_REQUEST_PROTOCOL(request),
	       functional_remote_ip(request));
	event_unref(&event);
}

/* --- passdb --- */

/* functional_passdb_grant - make the session the target's, with the
   person as master_user, the way Dovecot's master users do: "user" is the
   person and "login_user" the target, and Dovecot switches the two after
   we return OK (and after it has saved them in the auth cache, whose key
   is therefore the same when saving as when looking up). On a cache hit
   Dovecot replays these fields and switches the same way. */
static void functional_passdb_grant(struct functional_passdb_request *preq,
				    const struct fa_result *result)
{
	struct auth_request *request = preq->request;

	auth_request_set_field(request, "user", result->person_name, NULL);
	if (preq->plain_login)
		return;
	if (request->fields.requested_login_user == NULL ||
	    strcmp(request->fields.requested_login_user,
		   result->target_name) != 0)
		auth_request_set_field(request, "login_user",
				       result->target_name, NULL);
	struct session_grant grant = {
		.right = result->decision.right,
		.quota_mb = result->quota_mb,
		.target = result->target_name,
	};
	struct arena arena;

	arena_init(&arena, 256);
	auth_request_set_field(request, "userdb_"SESSION_FIELD_GRANT,
			       session_grant_format(&arena, &grant), NULL);
	arena_free(&arena);
}

/* functional_passdb_master_cache_key_ok - with the auth cache on, may
   this `master = yes` passdb (SASL authzid) answer? Only if its cache key
   holds the target: one cached grant must never open every account */
static bool functional_passdb_master_cache_key_ok(struct auth_request *request)
{
	if (passdb_cache == NULL || request->passdb->cache_key == NULL ||
	    strstr(request->passdb->cache_key, "%{login_user}") != NULL)
		return TRUE;
	e_error(authdb_event(request), "the auth cache is on but this "
		"`master = yes` passdb's cache key lacks the target: %s",
		FUNCTIONAL_MASTER_CACHE_KEY_HINT);
	return FALSE;
}

static void functional_passdb_callback(const struct fa_result *result,
				       void *context)
{
	struct functional_passdb_request *preq = context;
	struct auth_request *request = preq->request;
	enum passdb_result passdb_result;

	functional_log_trace(request, result);
	switch (result->status) {
	case FA_GRANTED:
		if (functional_layer_passdb_fields(request) < 0) {
			passdb_result = PASSDB_RESULT_INTERNAL_FAILURE;
			break;
		}
		if (!preq->plain_login)
			functional_log_grant(request, result);
		functional_passdb_grant(preq, result);
		passdb_result = PASSDB_RESULT_OK;
		break;
	case FA_BAD_PASSWORD:
		e_info(authdb_event(request), "%s", result->reason);
		passdb_result = preq->plain_login ?
			PASSDB_RESULT_PASSWORD_MISMATCH :
			PASSDB_RESULT_USER_DISABLED;
		break;
	case FA_DENIED:
	case FA_UNKNOWN_TARGET:
		e_info(authdb_event(request), "denied: %s may not open %s: %s",
		       result->person_name != NULL ? result->person_name :
		       "(unknown person)", preq->target_typed, result->reason);
		passdb_result = preq->plain_login ?
			PASSDB_RESULT_USER_UNKNOWN :
			PASSDB_RESULT_USER_DISABLED;
		break;
	case FA_TEMPFAIL:
	default:
		e_error(authdb_event(request), "%s", result->reason);
		passdb_result = PASSDB_RESULT_INTERNAL_FAILURE;
		break;
	}
	preq->callback(passdb_result, request);
	auth_request_unref(&request);
}

/* functional_passdb_parts - who logs in and which account they open, or
   FALSE if the login is not ours */
static bool
functional_passdb_parts(struct auth_request *request,
			const struct fa_settings *set,
			struct fa_lookup_request *lreq, bool *invalid_r)
{
	struct login_split_settings split_set;
	struct login_parts parts;
	struct arena arena;
	const char *error;
	bool ours = TRUE;

	*invalid_r = FALSE;
	if (request->passdb->set->master) {
		/* SASL PLAIN authzid = target, authcid = person */
		lreq->person = request->fields.user;
		lreq->target = request->fields.requested_login_user;
		if (lreq->target == NULL)
			return FALSE;
		if (login_part_check(lreq->person, strlen(lreq->person),
				     &error) < 0 ||
		    login_part_check(lreq->target, strlen(lreq->target),
				     &error) < 0) {
			e_info(authdb_event(request),
			       "rejected login: %s", error);
			*invalid_r = TRUE;
		}
		return TRUE;
	}
	if (request->fields.requested_login_user != NULL) {
		/* a login through Dovecot's own master users */
		return FALSE;
	}
	fa_settings_login_split(set, &split_set);
	arena_init(&arena, 512);
	switch (login_split(request->fields.user, &split_set, &arena,
			    &parts, &error)) {
	case LOGIN_SPLIT_INVALID:
		e_info(authdb_event(request), "rejected login: %s", error);
		*invalid_r = TRUE;
		break;
	case LOGIN_SPLIT_NONE:
		if (!set->plain_logins) {
			ours = FALSE;
			break;
		}
		lreq->person = request->fields.user;
		lreq->target = NULL;
		break;
	case LOGIN_SPLIT_OK:
		lreq->person = p_strdup(request->pool, parts.person);
		lreq->target = p_strdup(request->pool, parts.target);
		break;
	}
	arena_free(&arena);
	return ours;
}

void functional_verify_plain(struct auth_request *request,
			     const char *password,
			     verify_plain_callback_t *callback)
{
	struct functional_passdb_module *module =
		(struct functional_passdb_module *)request->passdb->passdb;
	struct functional_passdb_request *preq;
	struct fa_lookup_request lreq;
	bool invalid;

	i_zero(&lreq);
	if (!functional_passdb_parts(request, module->ctx->set, &lreq,
				     &invalid)) {
		e_debug(authdb_event(request),
			"not a functional-account login: left to the next passdb");
		callback(PASSDB_RESULT_USER_UNKNOWN, request);
		return;
	}
	if (invalid) {
		callback(PASSDB_RESULT_USER_DISABLED, request);
		return;
	}
	if (request->passdb->set->master &&
	    !functional_passdb_master_cache_key_ok(request)) {
		callback(PASSDB_RESULT_INTERNAL_FAILURE, request);
		return;
	}
	if (lreq.target != NULL &&
	    fa_settings_smtp_service(module->ctx->set,
				     FUNCTIONAL_REQUEST_PROTOCOL(request))) {
		/* Postfix's sasl_username would be the account, hiding the
		   person and letting anyone who may read it send as it */
		if (!module->ctx->set->smtp_functional_logins) {
			e_info(authdb_event(request), "refused: %s logins as "
			       "a functional account are off "
			       "(smtp_functional_logins = no): log in as "
			       "yourself; sending as the account is the policy "
			       "service's decision",
			       FUNCTIONAL_REQUEST_PROTOCOL(request));
			callback(PASSDB_RESULT_USER_DISABLED, request);
			return;
		}
		lreq.sending = TRUE;
	}
	/* NULL would mean "explain mode, no bind": never from here */
	lreq.password = password != NULL ? password : "";
	lreq.want_trace = event_want_debug(authdb_event(request));

	preq = p_new(request->pool, struct functional_passdb_request, 1);
	preq->request = request;
	preq->callback = callback;
	preq->plain_login = lreq.target == NULL;
	preq->target_typed = preq->plain_login ? "(own mailbox)" :
		p_strdup(request->pool, lreq.target);
	auth_request_ref(request);
	(void)fa_lookup_auth(module->ctx->fa, &lreq,
			     functional_passdb_callback, preq);
}

/* --- userdb --- */

static void functional_userdb_emit(void *context, const char *key,
				   const char *value)
{
	auth_request_set_userdb_field(context, key, value);
}

/* functional_userdb_fields - the reply for the account (see
   session_fields()); person is who acts as it, or NULL for a lookup no
   passdb authorised (LMTP, doveadm user): the account itself, which gets
   the mailbox's fields only. FALSE if the reply cannot be made. */
static bool functional_userdb_fields(struct auth_request *request,
				     const struct functional_context *ctx,
				     const char *user, const char *quota_mb,
				     const char *person, enum acl_right right)
{
	struct session_identity identity = {
		.user = user,
		.uid = ctx->userdb_uid,
		.gid = ctx->userdb_gid,
		.quota_mb = quota_mb,
		.person = person,
		.right = right,
	};
	struct arena arena;
	const char *error;
	int ret;

	if (functional_layer_userdb_fields(request) < 0)
		return FALSE;
	arena_init(&arena, 512);
	ret = session_fields(ctx->set, FUNCTIONAL_DIALECT, &arena, &identity,
			     functional_userdb_emit, request, &error);
	if (ret < 0)
		e_error(authdb_event(request), "%s: %s", ctx->path, error);
	arena_free(&arena);
	return ret == 0;
}

static void functional_userdb_callback(const struct fa_result *result,
				       void *context)
{
	struct functional_userdb_request *ureq = context;
	struct auth_request *request = ureq->request;
	struct functional_userdb_module *module =
		(struct functional_userdb_module *)request->userdb->userdb;
	enum userdb_result userdb_result;

	functional_log_trace(request, result);
	switch (result->status) {
	case FA_GRANTED:
		userdb_result = functional_userdb_fields(request, module->ctx,
				result->target_name, result->quota_mb, NULL,
				ACL_RIGHT_UNSET) ?
			USERDB_RESULT_OK : USERDB_RESULT_INTERNAL_FAILURE;
		break;
	case FA_TEMPFAIL:
		e_error(authdb_event(request), "%s", result->reason);
		userdb_result = USERDB_RESULT_INTERNAL_FAILURE;
		break;
	default:
		e_debug(authdb_event(request), "%s: left to the next userdb",
			result->reason);
		userdb_result = USERDB_RESULT_USER_UNKNOWN;
		break;
	}
	ureq->callback(userdb_result, request);
	auth_request_unref(&request);
}

/* functional_userdb_granted - the grant our passdb left in the userdb
   reply for this request's user, taken out of the reply: 1 if there is
   one, 0 if not, -1 if it is malformed, names another user or lacks the
   person (master_user) it was granted to */
static int functional_userdb_granted(struct auth_request *request,
				     struct arena *arena,
				     struct session_grant *grant_r)
{
	const char *value, *error;

	if (request->fields.userdb_reply == NULL)
		return 0;
	value = auth_fields_find(request->fields.userdb_reply,
				 SESSION_FIELD_GRANT);
	if (value == NULL)
		return 0;
	value = arena_strdup(arena, value);
	auth_fields_remove(request->fields.userdb_reply, SESSION_FIELD_GRANT);
	if (session_grant_parse(arena, value, request->fields.user, grant_r,
				&error) < 0) {
		e_error(authdb_event(request), "refusing the session: %s",
			error);
		return -1;
	}
	if (request->fields.master_user == NULL) {
		e_error(authdb_event(request), "refusing the session: %s "
			"without the person who was granted it",
			SESSION_FIELD_GRANT);
		return -1;
	}
	return 1;
}

void functional_userdb_lookup(struct auth_request *request,
			      userdb_callback_t *callback)
{
	struct functional_userdb_module *module =
		(struct functional_userdb_module *)request->userdb->userdb;
	struct functional_userdb_request *ureq;
	struct session_grant grant;
	struct arena arena;
	const char *error;
	bool ok;

	arena_init(&arena, 256);
	switch (functional_userdb_granted(request, &arena, &grant)) {
	case 1:
		/* our passdb granted this account for this request (or the
		   auth cache replayed its grant): no lookup needed, unless
		   the session could not be confined */
		if (functional_layer_session_check(module->ctx->set, request,
						   &error) < 0) {
			e_error(authdb_event(request), "refusing the session: "
				"%s", error);
			arena_free(&arena);
			callback(USERDB_RESULT_INTERNAL_FAILURE, request);
			return;
		}
		ok = functional_userdb_fields(request, module->ctx,
					      grant.target, grant.quota_mb,
					      request->fields.master_user,
					      grant.right);
		arena_free(&arena);
		callback(ok ? USERDB_RESULT_OK :
			 USERDB_RESULT_INTERNAL_FAILURE, request);
		return;
	case -1:
		/* never fall through to a userdb that would open the
		   account without the granted right's limits */
		arena_free(&arena);
		callback(USERDB_RESULT_INTERNAL_FAILURE, request);
		return;
	}
	arena_free(&arena);
	if (request->fields.successful ||
	    login_part_check(request->fields.user,
			     strlen(request->fields.user), &error) < 0) {
		/* authenticated by another passdb: an ordinary login, not a
		   functional account (those have no password); asking the
		   directory would cost every ordinary IMAP login a search */
		callback(USERDB_RESULT_USER_UNKNOWN, request);
		return;
	}
	ureq = p_new(request->pool, struct functional_userdb_request, 1);
	ureq->request = request;
	ureq->callback = callback;
	auth_request_ref(request);
	(void)fa_lookup_target(module->ctx->fa, request->fields.user,
			       event_want_debug(authdb_event(request)),
			       functional_userdb_callback, ureq);
}


void functional_passdb_init(struct passdb_module *_module)
{
	functional_context_init(((struct functional_passdb_module *)_module)->ctx);
}

void functional_passdb_deinit(struct passdb_module *_module)
{
	functional_context_unref(&((struct functional_passdb_module *)_module)->ctx);
}

void functional_userdb_init(struct userdb_module *_module)
{
	functional_context_init(((struct functional_userdb_module *)_module)->ctx);
}

void functional_userdb_deinit(struct userdb_module *_module)
{
	functional_context_unref(&((struct functional_userdb_module *)_module)->ctx);
}
