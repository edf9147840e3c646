/* fake-ldap-pool - ldap-pool.h answered from a script (see
   fake-ldap-pool.h). Linked instead of src/ldap-pool.c. */

#include "fake-ldap-pool.h"
#include "arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ldap_pool {
	const struct fa_settings *set;
	struct fa_loop *loop;
	/* operations not yet answered or cancelled */
	struct ldap_op *ops;
};

struct ldap_op {
	struct ldap_pool *pool;
	struct ldap_op *prev, *next;
	/* index into calls */
	unsigned int call;
	enum fake_op_kind kind;
	struct arena *arena;
	ldap_search_callback_t *search_callback;
	ldap_bind_callback_t *bind_callback;
	void *context;
	struct fa_loop_timeout *timeout;

	/* the answer it will get */
	enum ldap_op_result result;
	const char *error;
	bool timed_out;
	const struct ldap_entry *entries;
	unsigned int entry_count;
};

static struct fake_rule *script_rules;
static unsigned int script_rule_count;
static struct fake_call *calls;
static unsigned int call_count, call_size;
static unsigned int live_ops, live_pools;

static void calls_free(void)
{
	unsigned int i;

	for (i = 0; i < call_count; i++) {
		free(calls[i].base);
		free(calls[i].filter);
		free(calls[i].password);
	}
	free(calls);
	calls = NULL;
	call_count = call_size = 0;
}

void fake_directory_script(struct fake_rule *rules, unsigned int count)
{
	unsigned int i;

	calls_free();
	script_rules = rules;
	script_rule_count = count;
	for (i = 0; i < count; i++)
		rules[i].used = 0;
}

void fake_directory_reset(void)
{
	calls_free();
	script_rules = NULL;
	script_rule_count = 0;
}

unsigned int fake_directory_call_count(void)
{
	return call_count;
}

const struct fake_call *fake_directory_call(unsigned int i)
{
	return i < call_count ? &calls[i] : NULL;
}

unsigned int fake_directory_count(enum fake_op_kind kind, const char *base)
{
	unsigned int i, n = 0;

	for (i = 0; i < call_count; i++) {
		if (calls[i].kind == kind &&
		    (base == NULL || strcmp(calls[i].base, base) == 0))
			n++;
	}
	return n;
}

unsigned int fake_directory_unscripted(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < call_count; i++) {
		if (calls[i].rule == -1)
			n++;
	}
	return n;
}

unsigned int fake_directory_live_ops(void)
{
	return live_ops;
}

unsigned int fake_directory_live_pools(void)
{
	return live_pools;
}

static char *xstrdup(const char *str)
{
	char *copy;

	if (str == NULL)
		return NULL;
	copy = strdup(str);
	if (copy == NULL)
		abort();
	return copy;
}

static struct fake_call *call_add(enum fake_op_kind kind)
{
	struct fake_call *call;

	if (call_count == call_size) {
		call_size = call_size * 2 + 16;
		calls = realloc(calls, sizeof(*calls) * call_size);
		if (calls == NULL)
			abort();
	}
	call = &calls[call_count++];
	memset(call, 0, sizeof(*call));
	call->kind = kind;
	call->rule = -1;
	call->state = FAKE_CALL_PENDING;
	return call;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* filter_decoded - filter with its \HH escapes as the bytes they are */
static char *filter_decoded(const char *filter)
{
	char *out = malloc(strlen(filter) + 1), *o = out;
	const char *p;

	if (out == NULL)
		abort();
	for (p = filter; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0' && p[2] != '\0' &&
		    hex_value(p[1]) >= 0 && hex_value(p[2]) >= 0) {
			*o++ = (char)(hex_value(p[1]) * 16 + hex_value(p[2]));
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

static bool rule_matches(const struct fake_rule *rule, enum fake_op_kind kind,
			 const char *base, enum ldap_pool_scope scope,
			 const char *filter)
{
	char *decoded;
	bool found;

	if (rule->kind != kind ||
	    (rule->times != 0 && rule->used >= rule->times) ||
	    (rule->base != NULL && strcmp(rule->base, base) != 0))
		return false;
	if (kind == FAKE_BIND)
		return true;
	if ((rule->scope == FAKE_SCOPE_BASE && scope != LDAP_POOL_SCOPE_BASE) ||
	    (rule->scope == FAKE_SCOPE_SUBTREE &&
	     scope != LDAP_POOL_SCOPE_SUBTREE))
		return false;
	if (rule->filter_has == NULL)
		return true;
	decoded = filter_decoded(filter);
	found = strstr(decoded, rule->filter_has) != NULL;
	free(decoded);
	return found;
}

static int rule_find(enum fake_op_kind kind, const char *base,
		     enum ldap_pool_scope scope, const char *filter)
{
	unsigned int i;

	for (i = 0; i < script_rule_count; i++) {
		if (rule_matches(&script_rules[i], kind, base, scope, filter)) {
			script_rules[i].used++;
			return (int)i;
		}
	}
	return -1;
}

/* entries_copy - entries[count] deep-copied into arena */
static const struct ldap_entry *
entries_copy(struct arena *arena, const struct ldap_entry *entries,
	     unsigned int count)
{
	struct ldap_entry *copy;
	struct ldap_attr *attrs;
	const char **values;
	unsigned int i, a, v;

	copy = arena_alloc(arena, sizeof(*copy) * (count + 1));
	for (i = 0; i < count; i++) {
		copy[i].dn = arena_strdup(arena, entries[i].dn);
		copy[i].attr_count = entries[i].attr_count;
		copy[i].attrs = NULL;
		if (entries[i].attrs == NULL)
			continue;
		attrs = arena_alloc(arena, sizeof(*attrs) *
				    (entries[i].attr_count + 1));
		for (a = 0; a < entries[i].attr_count; a++) {
			const struct ldap_attr *src = &entries[i].attrs[a];

			attrs[a] = *src;
			attrs[a].name = arena_strdup(arena, src->name);
			if (src->values == NULL)
				continue;
			values = arena_alloc(arena, sizeof(*values) *
					     (src->value_count + 1));
			for (v = 0; v < src->value_count; v++)
				values[v] = arena_strdup(arena, src->values[v]);
			values[v] = NULL;
			attrs[a].values = values;
		}
		copy[i].attrs = attrs;
	}
	return copy;
}

static void op_unlink(struct ldap_op *op)
{
	struct ldap_pool *pool = op->pool;

	if (op->prev != NULL)
		op->prev->next = op->next;
	else
		pool->ops = op->next;
	if (op->next != NULL)
		op->next->prev = op->prev;
	op->prev = op->next = NULL;
	live_ops--;
}

/* op_complete - unlink op and run its callback with result */
static void op_complete(struct ldap_op *op, enum fake_call_state state,
			enum ldap_op_result result, const char *error)
{
	const struct ldap_entry *entries = NULL;
	unsigned int entry_count = 0;

	op_unlink(op);
	if (op->call < call_count) {
		calls[op->call].state = state;
		calls[op->call].result = result;
	}
	if (op->kind == FAKE_SEARCH) {
		if (result == LDAP_OP_OK) {
			entries = entries_copy(op->arena, op->entries,
					       op->entry_count);
			entry_count = op->entry_count;
		}
		op->search_callback(result, error, entries, entry_count,
				    op->context);
	} else {
		op->bind_callback(result, error, op->context);
	}
	free(op);
}

static void op_timeout(void *context)
{
	struct ldap_op *op = context;

	op->timeout = NULL;
	if (op->timed_out)
		op_complete(op, FAKE_CALL_TIMED_OUT, LDAP_OP_TEMPFAIL,
			    "timed out (fake directory gave no answer)");
	else
		op_complete(op, FAKE_CALL_ANSWERED, op->result, op->error);
}

static struct ldap_op *op_new(struct ldap_pool *pool, enum fake_op_kind kind,
			      void *context)
{
	struct ldap_op *op = calloc(1, sizeof(*op));

	if (op == NULL)
		abort();
	op->pool = pool;
	op->kind = kind;
	op->context = context;
	op->call = call_count - 1;
	op->next = pool->ops;
	if (pool->ops != NULL)
		pool->ops->prev = op;
	pool->ops = op;
	live_ops++;
	return op;
}

/* op_schedule - when the rule answers op, within timeout_msecs */
static void op_schedule(struct ldap_op *op, const struct fake_rule *rule,
			unsigned int timeout_msecs)
{
	unsigned int msecs = 0;

	if (rule == NULL) {
		op->result = LDAP_OP_TEMPFAIL;
		op->error = "fake directory: no script rule matches";
	} else if (rule->when == FAKE_AT_TIMEOUT ||
		   (rule->when == FAKE_AFTER &&
		    rule->after_msecs >= timeout_msecs)) {
		op->timed_out = true;
		msecs = timeout_msecs;
	} else if (rule->when == FAKE_AFTER) {
		msecs = rule->after_msecs;
	}
	op->timeout = op->pool->loop->timeout_add(op->pool->loop, msecs,
						  op_timeout, op);
}

static const char *answer_error(const struct fake_rule *rule,
				const char *fallback)
{
	return rule->error != NULL ? rule->error : fallback;
}

struct ldap_pool *ldap_pool_init(const struct fa_settings *set,
				 struct fa_loop *loop)
{
	struct ldap_pool *pool = calloc(1, sizeof(*pool));

	if (pool == NULL)
		abort();
	pool->set = set;
	pool->loop = loop;
	live_pools++;
	return pool;
}

void ldap_pool_deinit(struct ldap_pool **pool_p)
{
	struct ldap_pool *pool = *pool_p;
	struct ldap_op *op;

	if (pool == NULL)
		return;
	*pool_p = NULL;
	while ((op = pool->ops) != NULL) {
		if (op->timeout != NULL)
			pool->loop->timeout_remove(pool->loop, &op->timeout);
		op_complete(op, FAKE_CALL_FAILED_AT_DEINIT, LDAP_OP_TEMPFAIL,
			    "shutting down");
	}
	live_pools--;
	free(pool);
}

struct ldap_op *
ldap_pool_search(struct ldap_pool *pool, struct arena *arena,
		 const char *base, enum ldap_pool_scope scope,
		 const char *filter,
		 const char *const *attrs, int size_limit,
		 unsigned int timeout_msecs,
		 ldap_search_callback_t *callback, void *context)
{
	struct fake_call *call;
	struct fake_rule *rule;
	struct ldap_op *op;
	int r;

	(void)attrs;
	if (size_limit <= 0 || base == NULL || filter == NULL ||
	    callback == NULL) {
		fprintf(stderr, "fake-ldap-pool: search against the "
			"contract (size_limit %d)\n", size_limit);
		abort();
	}
	call = call_add(FAKE_SEARCH);
	call->base = xstrdup(base);
	call->filter = xstrdup(filter);
	call->scope = scope;
	call->size_limit = size_limit;
	call->timeout_msecs = timeout_msecs;
	r = rule_find(FAKE_SEARCH, base, scope, filter);
	call->rule = r;
	rule = r < 0 ? NULL : &script_rules[r];

	op = op_new(pool, FAKE_SEARCH, context);
	op->arena = arena;
	op->search_callback = callback;
	if (rule != NULL && rule->answer == FAKE_ANSWER_OK) {
		op->result = LDAP_OP_OK;
		op->entries = rule->entries;
		/* "exactly size_limit entries when there are more" */
		op->entry_count = rule->entry_count > (unsigned int)size_limit ?
			(unsigned int)size_limit : rule->entry_count;
	} else if (rule != NULL) {
		op->result = LDAP_OP_TEMPFAIL;
		op->error = answer_error(rule, "fake directory: search failed");
	}
	op_schedule(op, rule, timeout_msecs);
	return op;
}

struct ldap_op *
ldap_pool_bind(struct ldap_pool *pool, const char *dn, const char *password,
	       unsigned int timeout_msecs,
	       ldap_bind_callback_t *callback, void *context)
{
	static struct fake_rule empty_password_rule = {
		.kind = FAKE_BIND, .answer = FAKE_ANSWER_REFUSED,
		.error = "empty password (would be an anonymous bind)",
	};
	struct fake_call *call;
	struct fake_rule *rule;
	struct ldap_op *op;
	int r;

	if (dn == NULL || callback == NULL)
		abort();
	call = call_add(FAKE_BIND);
	call->base = xstrdup(dn);
	call->password = xstrdup(password);
	call->given_password = password;
	call->timeout_msecs = timeout_msecs;
	if (password == NULL || password[0] == '\0') {
		/* refused by the pool itself, as ldap-pool.h says */
		call->rule = -2;
		rule = &empty_password_rule;
	} else {
		r = rule_find(FAKE_BIND, dn, LDAP_POOL_SCOPE_BASE, "");
		call->rule = r;
		rule = r < 0 ? NULL : &script_rules[r];
	}

	op = op_new(pool, FAKE_BIND, context);
	op->bind_callback = callback;
	if (rule == NULL) {
		/* op_schedule fails it */
	} else if (rule->answer == FAKE_ANSWER_TEMPFAIL) {
		op->result = LDAP_OP_TEMPFAIL;
		op->error = answer_error(rule, "fake directory: bind failed");
	} else if (rule->answer == FAKE_ANSWER_REFUSED ||
		   (rule->password != NULL &&
		    strcmp(rule->password, password) != 0)) {
		op->result = LDAP_OP_INVALID_CREDENTIALS;
		op->error = answer_error(rule, "Invalid credentials (49)");
	} else {
		op->result = LDAP_OP_OK;
	}
	op_schedule(op, rule, timeout_msecs);
	return op;
}

void ldap_op_cancel(struct ldap_op **op_p)
{
	struct ldap_op *op = *op_p;

	if (op == NULL)
		return;
	*op_p = NULL;
	if (op->timeout != NULL)
		op->pool->loop->timeout_remove(op->pool->loop, &op->timeout);
	op_unlink(op);
	if (op->call < call_count)
		calls[op->call].state = FAKE_CALL_CANCELLED;
	free(op);
}
