/* fa-lookup - the directory side of one login (see fa-lookup.h).

   Round trips are overlapped: the person and the target are searched at
   once; the password bind and, only when the target's rules need them,
   the person's groups follow in parallel. When every answer is in, the
   facts go to grant_decide(). Precedence of outcomes: directory trouble
   on the person -> temporary failure; unknown, ambiguous or disabled
   person -> denied (no bind is attempted for them); refused bind -> bad
   password; any other directory trouble -> temporary failure; unknown or
   ambiguous target -> denied; then the decision.

   The person's groups are always the same set for the same person (all
   of them, through groups in groups to group_nesting_depth), whichever
   target asks for them: so the lookup cache, keyed by the person's DN,
   holds one answer that fits every target. Whether to look them up at
   all is grant_needs_groups()'s question. */

#include "fa-lookup.h"
#include "fa-settings.h"
#include "ldap-pool.h"
#include "lookup-cache.h"
#include "ldap-filter.h"
#include "ldap-dn.h"
#include "text-fold.h"
#include "var-template.h"
#include "arena.h"
#include "fa-clock.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* groups a person may be in; more fails (temporarily) instead of
   deciding on part of them */
#define FA_MAX_GROUPS 1000
#define FA_LOOKUP_CACHE_MAX_ITEMS 100000

struct fa_context {
	const struct fa_settings *set;
	struct fa_loop *loop;
	struct ldap_pool *ldap;
	/* NULL when lookup_cache_ttl is 0 */
	struct lookup_cache *cache;
	struct arena arena;
	const char *const *person_attrs;
	const char *const *target_attrs;
	const char *const *group_attrs;
	/* quota attributes, split */
	const char *const *quota_attrs;
	/* every lookup not yet finished, for deinit */
	struct fa_lookup *lookups;
	bool shutting_down;
};

enum fa_step_state {
	FA_STEP_IDLE,
	FA_STEP_RUNNING,
	FA_STEP_DONE,
	FA_STEP_TEMPFAIL,
};

struct fa_lookup {
	struct fa_context *ctx;
	struct fa_lookup *prev, *next;
	struct arena arena;
	struct fa_lookup_request request;
	/* the request's password, copied, wiped at the end */
	char *password;
	bool userdb_only;
	/* fa_lookup_explain(), fa_lookup_send_as(): no password, no bind */
	bool explain;
	/* fa_lookup_send_as(): the target first; the person only if it is
	   a functional account; send_min_right decides */
	bool send_as;
	/* send-as: the sender without its address extension was tried */
	bool sender_base_tried;
	/* monotonic msecs by which the login must be decided */
	long long deadline_msecs;

	fa_lookup_callback_t *callback;
	void *context;

	struct ldap_op *person_op, *target_op, *bind_op, *group_op;
	enum fa_step_state person_state, target_state, bind_state, group_state;
	const char *tempfail_reason;

	const struct ldap_entry *person;
	unsigned int person_count;
	bool person_disabled;
	const char *person_disabled_reason;
	bool disabled_check_done;
	bool bind_ok;
	const char *bind_error;

	const struct ldap_entry *target;
	unsigned int target_count;
	/* why the one target entry cannot be used, or NULL */
	const char *target_invalid;
	/* the target's member_attribute values, normalised once */
	const char *const *members;
	unsigned int member_count;

	/* groups found so far, and the level being searched */
	struct grant_group *groups;
	unsigned int group_count;
	unsigned int group_depth;
	/* first group of the level the running search completes */
	unsigned int group_level_first;
	bool groups_wanted;
	/* the person's mail address, folded, as ACL values name it */
	const char *person_address;

	/* refused before any directory work */
	bool empty_password;
	struct fa_loop_timeout *finish_timeout;
	struct fa_result result;
	const char **trace;
	unsigned int trace_count, trace_size;
	bool finished;
};

static void fa_lookup_continue(struct fa_lookup *lookup);
static void fa_lookup_start_person(struct fa_lookup *lookup);
static void fa_lookup_start_target(struct fa_lookup *lookup);

const char *fa_status_name(enum fa_status status)
{
	switch (status) {
	case FA_TEMPFAIL: return "temporary failure";
	case FA_DENIED: return "denied";
	case FA_BAD_PASSWORD: return "bad password";
	case FA_UNKNOWN_TARGET: return "unknown functional account";
	case FA_GRANTED: return "granted";
	}
	return "unknown";
}

static void fa_trace(struct fa_lookup *lookup, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fa_trace(struct fa_lookup *lookup, const char *fmt, ...)
{
	const char **trace;
	va_list args;

	if (!lookup->request.want_trace)
		return;
	if (lookup->trace_count == lookup->trace_size) {
		lookup->trace_size = lookup->trace_size * 2 + 8;
		trace = arena_alloc(&lookup->arena,
				    sizeof(*trace) * lookup->trace_size);
		if (lookup->trace_count > 0)
			memcpy(trace, lookup->trace,
			       sizeof(*trace) * lookup->trace_count);
		lookup->trace = trace;
	}
	va_start(args, fmt);
	lookup->trace[lookup->trace_count++] =
		arena_vprintf(&lookup->arena, fmt, args);
	va_end(args);
}

static const char *const *
attr_list(struct arena *arena, const char *const *names, unsigned int count)
{
	const char **list = arena_alloc(arena, sizeof(*list) * (count + 1));
	unsigned int i, n = 0;

	for (i = 0; i < count; i++) {
		if (names[i] != NULL && names[i][0] != '\0')
			list[n++] = names[i];
	}
	list[n] = NULL;
	return list;
}

static const char *const *split_words(struct arena *arena, const char *str)
{
	const char **list;
	char *copy = arena_strdup(arena, str), *word, *save;
	unsigned int n = 0;

	list = arena_alloc(arena, sizeof(*list) * (strlen(str) / 2 + 2));
	for (word = strtok_r(copy, " \t", &save); word != NULL;
	     word = strtok_r(NULL, " \t", &save))
		list[n++] = word;
	list[n] = NULL;
	return list;
}

struct fa_context *fa_context_init(const struct fa_settings *set,
				   struct fa_loop *loop)
{
	struct fa_context *ctx = calloc(1, sizeof(*ctx));
	const char *const *quota;
	const char *names[32];
	unsigned int n = 0;

	if (ctx == NULL)
		abort();
	ctx->set = set;
	ctx->loop = loop;
	arena_init(&ctx->arena, 1024);
	ctx->ldap = ldap_pool_init(set, loop);
	ctx->cache = lookup_cache_new(set->lookup_cache_ttl,
				      FA_LOOKUP_CACHE_MAX_ITEMS);

	names[0] = set->person_name_attribute;
	names[1] = set->person_uid_attribute;
	names[2] = set->person_expire_attribute;
	names[3] = set->person_memberof_attribute;
	ctx->person_attrs = attr_list(&ctx->arena, names, 4);

	ctx->quota_attrs = split_words(&ctx->arena, set->quota_attributes);
	names[n++] = set->target_name_attribute;
	names[n++] = set->member_attribute;
	names[n++] = set->acl_attribute;
	for (quota = ctx->quota_attrs; *quota != NULL && n < 32; quota++)
		names[n++] = *quota;
	ctx->target_attrs = attr_list(&ctx->arena, names, n);

	names[0] = set->group_name_attribute;
	ctx->group_attrs = attr_list(&ctx->arena, names, 1);
	return ctx;
}

static void fa_lookup_finish(struct fa_lookup *lookup, enum fa_status status,
			     const char *reason);

void fa_context_deinit(struct fa_context **ctx_p)
{
	struct fa_context *ctx = *ctx_p;

	if (ctx == NULL)
		return;
	*ctx_p = NULL;
	ctx->shutting_down = true;
	while (ctx->lookups != NULL)
		fa_lookup_finish(ctx->lookups, FA_TEMPFAIL, "shutting down");
	ldap_pool_deinit(&ctx->ldap);
	lookup_cache_free(&ctx->cache);
	arena_free(&ctx->arena);
	free(ctx);
}

static void fa_lookup_free(struct fa_lookup *lookup)
{
	struct fa_context *ctx = lookup->ctx;

	ldap_op_cancel(&lookup->person_op);
	ldap_op_cancel(&lookup->target_op);
	ldap_op_cancel(&lookup->bind_op);
	ldap_op_cancel(&lookup->group_op);
	if (lookup->finish_timeout != NULL)
		ctx->loop->timeout_remove(ctx->loop, &lookup->finish_timeout);
	if (lookup->prev != NULL)
		lookup->prev->next = lookup->next;
	else
		ctx->lookups = lookup->next;
	if (lookup->next != NULL)
		lookup->next->prev = lookup->prev;
	if (lookup->password != NULL) {
		memset(lookup->password, 0, strlen(lookup->password));
		free(lookup->password);
	}
	arena_free(&lookup->arena);
	free(lookup);
}

static void fa_lookup_finish(struct fa_lookup *lookup, enum fa_status status,
			     const char *reason)
{
	/* whatever still runs must not call back into a finished lookup */
	ldap_op_cancel(&lookup->person_op);
	ldap_op_cancel(&lookup->target_op);
	ldap_op_cancel(&lookup->bind_op);
	ldap_op_cancel(&lookup->group_op);
	lookup->finished = true;
	lookup->result.status = status;
	lookup->result.reason = reason;
	lookup->result.password_checked = !lookup->explain;
	if (reason != NULL)
		fa_trace(lookup, "result: %s: %s", fa_status_name(status),
			 reason);
	else
		fa_trace(lookup, "result: %s", fa_status_name(status));
	lookup->result.trace = lookup->trace;
	lookup->result.trace_count = lookup->trace_count;
	lookup->callback(&lookup->result, lookup->context);
	fa_lookup_free(lookup);
}

static void fa_lookup_finish_timeout(void *context)
{
	struct fa_lookup *lookup = context;

	lookup->finish_timeout = NULL;
	fa_lookup_continue(lookup);
}

/* fa_lookup_kick - continue from the loop: for answers that came from
   the cache inside a call that must not run the callback itself */
static void fa_lookup_kick(struct fa_lookup *lookup)
{
	if (lookup->finish_timeout == NULL)
		lookup->finish_timeout = lookup->ctx->loop->timeout_add(
			lookup->ctx->loop, 0, fa_lookup_finish_timeout, lookup);
}

/* fa_lookup_time_left - msecs until the login's deadline (at least 1:
   an operation started at the deadline fails from the loop) */
static unsigned int fa_lookup_time_left(const struct fa_lookup *lookup)
{
	long long left = lookup->deadline_msecs - fa_clock_msecs();

	return left < 1 ? 1 : (unsigned int)left;
}

static struct ldap_op *
fa_lookup_search(struct fa_lookup *lookup, const char *base,
		 enum ldap_pool_scope scope, const char *filter,
		 const char *const *attrs, int size_limit,
		 ldap_search_callback_t *callback)
{
	return ldap_pool_search(lookup->ctx->ldap, &lookup->arena, base, scope,
				filter, attrs, size_limit,
				fa_lookup_time_left(lookup), callback, lookup);
}

static bool fa_lookup_busy(const struct fa_lookup *lookup)
{
	return lookup->person_state == FA_STEP_RUNNING ||
		lookup->target_state == FA_STEP_RUNNING ||
		lookup->bind_state == FA_STEP_RUNNING ||
		lookup->group_state == FA_STEP_RUNNING;
}

/* person_check_expired - shadowExpire-style: days since 1970; an account
   whose day has come is disabled; a value that is no number disables too.
   Every value counts (several, or tagged subtypes): one that disables is
   enough. */
static void person_check_expired(struct fa_lookup *lookup)
{
	const struct fa_settings *set = lookup->ctx->set;
	const struct ldap_attr *attr;
	const char *value;
	long long days, today = (long long)(time(NULL) / 86400);
	unsigned int i;
	char *end;

	if (set->person_expire_attribute[0] == '\0')
		return;
	attr = ldap_entry_attr(lookup->person, set->person_expire_attribute);
	for (i = 0; attr != NULL && i < attr->value_count; i++) {
		value = attr->values[i];
		/* a day past what fits is far in the future (ERANGE gives
		   LLONG_MAX), one before it long past (LLONG_MIN) */
		days = strtoll(value, &end, 10);
		if (*value == '\0' || *end != '\0') {
			lookup->person_disabled = true;
			lookup->person_disabled_reason = arena_printf(
				&lookup->arena, "%s value \"%s\" is not a day "
				"number", set->person_expire_attribute, value);
			return;
		}
		if (days <= today) {
			lookup->person_disabled = true;
			lookup->person_disabled_reason = arena_printf(
				&lookup->arena, "%s=%lld is not in the future "
				"(today is day %lld)",
				set->person_expire_attribute, days, today);
			return;
		}
	}
}

static void fa_login_table(struct arena *arena, const char *login,
			   struct var_template_entry table_r[6],
			   const char *dn, const char *uid)
{
	var_template_login_table(arena, login, table_r);
	table_r[3] = (struct var_template_entry){ 0, "dn", dn };
	table_r[4] = (struct var_template_entry){ 0, "uid", uid };
	table_r[5] = (struct var_template_entry){ 0, NULL, NULL };
}

static const char *fa_expand_filter(struct fa_lookup *lookup, const char *tmpl,
				    const char *login, const char *dn,
				    const char *uid)
{
	struct var_template_entry table[6];
	const char *filter, *error;

	fa_login_table(&lookup->arena, login, table, dn, uid);
	if (ldap_filter_expand(&lookup->arena, tmpl, table,
			       &filter, &error) < 0) {
		/* templates were checked at startup; this is a bug */
		fa_trace(lookup, "filter template failed: %s", error);
		return NULL;
	}
	return filter;
}

/* fa_single_value - the one untagged value of attr in entry; NULL with
   *count_r > 1 when there are several (which would name the session?) */
static const char *fa_single_value(const struct ldap_entry *entry,
				   const char *attr, unsigned int *count_r)
{
	const char *const *values = ldap_entry_values(entry, attr, count_r);

	return *count_r == 1 ? values[0] : NULL;
}

static void person_search_callback(enum ldap_op_result result,
				   const char *error,
				   const struct ldap_entry *entries,
				   unsigned int count, void *context)
{
	struct fa_lookup *lookup = context;

	lookup->person_op = NULL;
	if (result != LDAP_OP_OK) {
		lookup->person_state = FA_STEP_TEMPFAIL;
		lookup->tempfail_reason = arena_printf(&lookup->arena,
			"person search failed: %s", error);
	} else {
		lookup->person_state = FA_STEP_DONE;
		lookup->person_count = count;
		lookup->person = count == 1 ? &entries[0] : NULL;
		if (count == 1)
			lookup_cache_put(lookup->ctx->cache, LOOKUP_CACHE_PERSON,
					 lookup->request.person, entries, 1);
		fa_trace(lookup, "person search: %u entr%s%s%s", count,
			 count == 1 ? "y" : "ies",
			 count == 1 ? ": " : "", count == 1 ? entries[0].dn : "");
	}
	fa_lookup_continue(lookup);
}

static void disabled_search_callback(enum ldap_op_result result,
				     const char *error,
				     const struct ldap_entry *entries,
				     unsigned int count, void *context)
{
	struct fa_lookup *lookup = context;

	(void)entries;
	lookup->person_op = NULL;
	if (result != LDAP_OP_OK) {
		lookup->person_state = FA_STEP_TEMPFAIL;
		lookup->tempfail_reason = arena_printf(&lookup->arena,
			"disabled-person search failed: %s", error);
	} else {
		lookup->person_state = FA_STEP_DONE;
		if (count > 0) {
			lookup->person_disabled = true;
			lookup->person_disabled_reason =
				"matches person_disabled_filter";
		}
		fa_trace(lookup, "person_disabled_filter: %s",
			 count > 0 ? "matches (disabled)" : "no match");
	}
	fa_lookup_continue(lookup);
}

static void bind_callback(enum ldap_op_result result, const char *error,
			  void *context)
{
	struct fa_lookup *lookup = context;

	lookup->bind_op = NULL;
	if (lookup->password != NULL) {
		/* verified or not: it is not needed again */
		memset(lookup->password, 0, strlen(lookup->password));
	}
	if (result == LDAP_OP_TEMPFAIL) {
		lookup->bind_state = FA_STEP_TEMPFAIL;
		lookup->tempfail_reason = arena_printf(&lookup->arena,
			"password bind failed: %s", error);
	} else {
		lookup->bind_state = FA_STEP_DONE;
		lookup->bind_ok = result == LDAP_OP_OK;
		lookup->bind_error = lookup->bind_ok ? NULL :
			arena_strdup(&lookup->arena, error);
		fa_trace(lookup, "password bind as %s: %s", lookup->person->dn,
			 lookup->bind_ok ? "ok" : error);
	}
	fa_lookup_continue(lookup);
}

/* target_normalized - a copy of the target entry (in arena) whose DN and
   member DNs are comparable: done once when the entry arrives, so that
   the copy the lookup cache keeps is compared as it is on every login */
static const struct ldap_entry *
target_normalized(struct arena *arena, const char *member_attribute,
		  const struct ldap_entry *entry)
{
	struct ldap_entry *copy = arena_alloc(arena, sizeof(*copy));
	struct ldap_attr *attrs;
	const char **values;
	unsigned int i, j;

	*copy = *entry;
	copy->dn = ldap_dn_comparable(arena, entry->dn);
	attrs = arena_alloc(arena, sizeof(*attrs) * (entry->attr_count + 1));
	memcpy(attrs, entry->attrs, sizeof(*attrs) * entry->attr_count);
	for (i = 0; i < entry->attr_count; i++) {
		if (strcasecmp(attrs[i].name, member_attribute) != 0)
			continue;
		values = arena_alloc(arena, sizeof(*values) *
				     (attrs[i].value_count + 1));
		for (j = 0; j < attrs[i].value_count; j++)
			values[j] = ldap_dn_comparable(arena,
						       attrs[i].values[j]);
		values[j] = NULL;
		attrs[i].values = values;
	}
	copy->attrs = attrs;
	return copy;
}

static void target_search_callback(enum ldap_op_result result,
				   const char *error,
				   const struct ldap_entry *entries,
				   unsigned int count, void *context)
{
	struct fa_lookup *lookup = context;

	lookup->target_op = NULL;
	if (result != LDAP_OP_OK) {
		lookup->target_state = FA_STEP_TEMPFAIL;
		lookup->tempfail_reason = arena_printf(&lookup->arena,
			"target search failed: %s", error);
	} else {
		lookup->target_state = FA_STEP_DONE;
		lookup->target_count = count;
		lookup->target = count != 1 ? NULL :
			target_normalized(&lookup->arena,
					  lookup->ctx->set->member_attribute,
					  &entries[0]);
		if (count == 1)
			lookup_cache_put(lookup->ctx->cache, LOOKUP_CACHE_TARGET,
					 lookup->request.target,
					 lookup->target, 1);
		fa_trace(lookup, "target search: %u entr%s%s%s", count,
			 count == 1 ? "y" : "ies",
			 count == 1 ? ": " : "", count == 1 ? entries[0].dn : "");
	}
	fa_lookup_continue(lookup);
}

static bool group_seen(struct fa_lookup *lookup, const char *dn)
{
	unsigned int i;

	for (i = 0; i < lookup->group_count; i++) {
		if (strcmp(lookup->groups[i].dn, dn) == 0)
			return true;
	}
	return false;
}

/* group_add - a group of the person, by comparable DN and folded names;
   -1 if that is one more than FA_MAX_GROUPS */
static int group_add(struct fa_lookup *lookup, const char *dn,
		     const char *const *names, unsigned int name_count,
		     const char *written)
{
	struct grant_group *group;

	if (group_seen(lookup, dn))
		return 0;
	if (lookup->group_count == FA_MAX_GROUPS)
		return -1;
	group = &lookup->groups[lookup->group_count++];
	group->dn = dn;
	group->names = names;
	group->name_count = name_count;
	fa_trace(lookup, "group: %s (%s)", written != NULL ? written :
		 name_count > 0 ? names[0] : "name unknown", dn);
	return 0;
}

/* group_names_of - the folded values of group_name_attribute */
static const char *const *
group_names_of(struct fa_lookup *lookup, const struct ldap_entry *entry,
	       unsigned int *count_r)
{
	const char *const *values = ldap_entry_values(entry,
		lookup->ctx->set->group_name_attribute, count_r);
	const char **names;
	unsigned int i;

	names = arena_alloc(&lookup->arena, sizeof(*names) * (*count_r + 1));
	for (i = 0; i < *count_r; i++)
		names[i] = text_fold_name(&lookup->arena, values[i],
					  strlen(values[i]));
	names[i] = NULL;
	return names;
}

static void group_search_start(struct fa_lookup *lookup,
			       unsigned int first_new);

/* groups_cache_put - the person's whole group list, one entry a group
   with its folded names as the values of one attribute */
static void groups_cache_put(struct fa_lookup *lookup)
{
	struct ldap_entry *entries;
	struct ldap_attr *attrs;
	unsigned int i;

	if (lookup->ctx->cache == NULL)
		return;
	entries = arena_alloc(&lookup->arena,
			      sizeof(*entries) * (lookup->group_count + 1));
	attrs = arena_alloc(&lookup->arena,
			    sizeof(*attrs) * (lookup->group_count + 1));
	for (i = 0; i < lookup->group_count; i++) {
		attrs[i].name = "names";
		attrs[i].values = lookup->groups[i].names;
		attrs[i].value_count = lookup->groups[i].name_count;
		entries[i].dn = lookup->groups[i].dn;
		entries[i].attrs = &attrs[i];
		entries[i].attr_count = 1;
	}
	lookup_cache_put(lookup->ctx->cache, LOOKUP_CACHE_GROUPS,
			 lookup->result.person_dn, entries, lookup->group_count);
}

/* groups_from_cache - the person's groups from the cache, if fresh */
static bool groups_from_cache(struct fa_lookup *lookup)
{
	const struct ldap_entry *entries;
	unsigned int i, count;

	if (lookup_cache_get(lookup->ctx->cache, LOOKUP_CACHE_GROUPS,
			     lookup->result.person_dn, &lookup->arena,
			     &entries, &count) < 0)
		return false;
	fa_trace(lookup, "groups: %u (cached)", count);
	for (i = 0; i < count; i++) {
		if (group_add(lookup, entries[i].dn, entries[i].attrs[0].values,
			      entries[i].attrs[0].value_count, NULL) < 0)
			break;
	}
	lookup->group_state = FA_STEP_DONE;
	return true;
}

static void groups_too_many(struct fa_lookup *lookup)
{
	lookup->group_state = FA_STEP_TEMPFAIL;
	lookup->tempfail_reason = arena_printf(&lookup->arena,
		"the person is in more than %u groups: not deciding on part "
		"of them", FA_MAX_GROUPS);
}

static void group_search_callback(enum ldap_op_result result,
				  const char *error,
				  const struct ldap_entry *entries,
				  unsigned int count, void *context)
{
	struct fa_lookup *lookup = context;
	const struct fa_settings *set = lookup->ctx->set;
	const char *const *names;
	unsigned int i, name_count, level_first = lookup->group_level_first;

	lookup->group_op = NULL;
	if (result != LDAP_OP_OK) {
		lookup->group_state = FA_STEP_TEMPFAIL;
		lookup->tempfail_reason = arena_printf(&lookup->arena,
			"group search failed: %s", error);
		fa_lookup_continue(lookup);
		return;
	}
	for (i = 0; i < count; i++) {
		names = group_names_of(lookup, &entries[i], &name_count);
		if (group_add(lookup,
			      ldap_dn_comparable(&lookup->arena, entries[i].dn),
			      names, name_count, ldap_entry_first(&entries[i],
				set->group_name_attribute)) < 0) {
			groups_too_many(lookup);
			fa_lookup_continue(lookup);
			return;
		}
	}
	/* groups in groups: the groups listing any group of the level just
	   completed, one level a search; seen DNs are skipped, so a loop
	   ends the walk */
	if (lookup->group_count > level_first &&
	    ++lookup->group_depth < set->group_nesting_depth) {
		group_search_start(lookup, level_first);
		return;
	}
	lookup->group_state = FA_STEP_DONE;
	groups_cache_put(lookup);
	fa_lookup_continue(lookup);
}

/* group_search_start - groups containing the person (first_new is
   UINT_MAX; with memberOf's groups they are the first level), or
   containing any group found from first_new on */
static void group_search_start(struct fa_lookup *lookup,
			       unsigned int first_new)
{
	const struct fa_settings *set = lookup->ctx->set;
	const char *filter, *part, *const *uids;
	unsigned int i, count;

	if (first_new == (unsigned int)-1) {
		/* one filter for each uid the entry has (memberUid may name
		   any of them), or one with an empty uid */
		uids = ldap_entry_values(lookup->person,
					 set->person_uid_attribute, &count);
		filter = count > 1 ? "(|" : "";
		for (i = 0; i < count || (i == 0 && count == 0); i++) {
			part = fa_expand_filter(lookup, set->group_filter,
				lookup->request.person, lookup->person->dn,
				count > 0 ? uids[i] : "");
			if (part == NULL) {
				filter = NULL;
				break;
			}
			filter = arena_printf(&lookup->arena, "%s%s",
					      filter, part);
		}
		if (count > 1 && filter != NULL)
			filter = arena_printf(&lookup->arena, "%s)", filter);
	} else {
		filter = "(|";
		for (i = first_new; i < lookup->group_count; i++) {
			part = fa_expand_filter(lookup, set->group_filter,
				lookup->request.person, lookup->groups[i].dn, "");
			if (part == NULL) {
				filter = NULL;
				break;
			}
			filter = arena_printf(&lookup->arena, "%s%s",
					      filter, part);
		}
		if (filter != NULL)
			filter = arena_printf(&lookup->arena, "%s)", filter);
	}
	if (filter == NULL) {
		lookup->group_state = FA_STEP_TEMPFAIL;
		lookup->tempfail_reason = "group_filter could not be expanded";
		fa_lookup_continue(lookup);
		return;
	}
	lookup->group_level_first = first_new == (unsigned int)-1 ? 0 :
		lookup->group_count;
	lookup->group_state = FA_STEP_RUNNING;
	lookup->group_op = fa_lookup_search(lookup, set->group_base,
		LDAP_POOL_SCOPE_SUBTREE, filter, lookup->ctx->group_attrs,
		FA_MAX_GROUPS + 1, group_search_callback);
}

/* dn_name_value - "support" from "cn=support,cn=groups,..." when its
   first RDN is of group_name_attribute, folded; NULL if not or if dn
   does not parse */
static const char *dn_name_value(struct fa_lookup *lookup, const char *dn)
{
	LDAPDN parsed = NULL;
	const char *value = NULL;
	LDAPAVA *ava;

	if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
	    parsed != NULL && parsed[0] != NULL && parsed[0][0] != NULL &&
	    parsed[0][1] == NULL) {
		ava = parsed[0][0];
		if (ava->la_attr.bv_len == strlen(lookup->ctx->set->group_name_attribute) &&
		    strncasecmp(ava->la_attr.bv_val,
				lookup->ctx->set->group_name_attribute,
				ava->la_attr.bv_len) == 0)
			value = text_fold_name(&lookup->arena,
					       ava->la_value.bv_val,
					       ava->la_value.bv_len);
	}
	if (parsed != NULL)
		ldap_dnfree(parsed);
	return value;
}

/* groups_from_memberof - the person's memberOf values as groups; named
   by their DN's first RDN (a value that is not a DN of that shape leaves
   the group's name unknown) */
static int groups_from_memberof(struct fa_lookup *lookup)
{
	const struct fa_settings *set = lookup->ctx->set;
	const char *const *values, **names, *name;
	unsigned int i, count;

	if (set->person_memberof_attribute[0] == '\0')
		return 0;
	values = ldap_entry_values(lookup->person,
				   set->person_memberof_attribute, &count);
	for (i = 0; i < count; i++) {
		name = dn_name_value(lookup, values[i]);
		names = arena_alloc(&lookup->arena, sizeof(*names) * 2);
		names[0] = name;
		names[1] = NULL;
		if (group_add(lookup, ldap_dn_comparable(&lookup->arena,
							 values[i]),
			      names, name != NULL ? 1 : 0, values[i]) < 0)
			return -1;
	}
	return 0;
}

/* groups_start - all the person's groups: from the cache, else memberOf
   and the group searches */
static void groups_start(struct fa_lookup *lookup)
{
	/* runs from the loop (fa_lookup_continue), so an answer known at
	   once is simply the new state */
	if (groups_from_cache(lookup))
		return;
	if (groups_from_memberof(lookup) < 0) {
		groups_too_many(lookup);
		return;
	}
	group_search_start(lookup, (unsigned int)-1);
}

static const char *target_quota(struct fa_lookup *lookup)
{
	const char *const *attr, *value;

	for (attr = lookup->ctx->quota_attrs; *attr != NULL; attr++) {
		value = ldap_entry_first(lookup->target, *attr);
		if (value != NULL && value[0] != '\0' &&
		    strspn(value, "0123456789") == strlen(value))
			return value;
	}
	return NULL;
}

static void fa_lookup_set_target(struct fa_lookup *lookup)
{
	const struct fa_settings *set = lookup->ctx->set;
	const char *name;
	unsigned int count;

	name = fa_single_value(lookup->target, set->target_name_attribute,
			       &count);
	/* DNs normalized when the entry arrived: target_normalized() */
	lookup->result.target_dn = lookup->target->dn;
	lookup->result.target_name = name != NULL ? name :
		lookup->request.target;
	if (count > 1) {
		lookup->target_invalid = arena_printf(&lookup->arena,
			"target has %u values of %s", count,
			set->target_name_attribute);
	}
	lookup->result.quota_mb = target_quota(lookup);

	if (set->member_attribute[0] != '\0')
		lookup->members = ldap_entry_values(lookup->target,
			set->member_attribute, &lookup->member_count);
}

/* fa_lookup_rules - the rules for this lookup: min_right for a login,
   send_min_right for a send-as question, the stronger of both for a
   login that sends mail as the account (request.sending) */
static void fa_lookup_rules(const struct fa_lookup *lookup,
			    struct grant_rules *rules_r)
{
	const struct fa_settings *set = lookup->ctx->set;

	rules_r->member_attribute = set->member_attribute;
	rules_r->acl_attribute = set->acl_attribute;
	rules_r->min_right = set->min_right;
	rules_r->min_right_setting = "min_right";
	if (lookup->send_as ||
	    (lookup->request.sending && set->send_min_right > set->min_right)) {
		rules_r->min_right = set->send_min_right;
		rules_r->min_right_setting = "send_min_right";
	}
}

/* fa_lookup_facts - the person and target as grant_decide() sees them */
static void fa_lookup_facts(struct fa_lookup *lookup,
			    struct grant_person *person_r,
			    struct grant_target *target_r)
{
	const struct fa_settings *set = lookup->ctx->set;

	memset(person_r, 0, sizeof(*person_r));
	person_r->dn = lookup->result.person_dn;
	person_r->address = lookup->person_address;
	person_r->groups = lookup->groups;
	person_r->group_count = lookup->group_count;

	memset(target_r, 0, sizeof(*target_r));
	target_r->dn = lookup->result.target_dn;
	target_r->members = lookup->members;
	target_r->member_count = lookup->member_count;
	if (set->acl_attribute[0] != '\0')
		target_r->acl_values = ldap_entry_values(lookup->target,
			set->acl_attribute, &target_r->acl_value_count);
}

static bool fa_lookup_needs_groups(struct fa_lookup *lookup)
{
	struct grant_rules rules;
	struct grant_person person;
	struct grant_target target;

	fa_lookup_rules(lookup, &rules);
	fa_lookup_facts(lookup, &person, &target);
	return grant_needs_groups(&lookup->arena, &rules, &person, &target);
}

static void fa_lookup_decide(struct fa_lookup *lookup)
{
	const struct fa_settings *set = lookup->ctx->set;
	struct grant_rules rules;
	struct grant_person person;
	struct grant_target target;
	struct grant_decision *decision = &lookup->result.decision;
	unsigned int i;

	fa_lookup_rules(lookup, &rules);
	fa_lookup_facts(lookup, &person, &target);
	grant_decide(&lookup->arena, &rules, &person, &target, decision);
	for (i = 0; i < decision->ignored_value_count; i++)
		fa_trace(lookup, "ignored %s value %s (does not parse)",
			 set->acl_attribute, decision->ignored_values[i]);
	if (decision->rule != NULL)
		fa_trace(lookup, "rule: %s", decision->rule);
	if (decision->incomplete) {
		decision->right = ACL_RIGHT_UNSET;
		fa_lookup_finish(lookup, FA_TEMPFAIL, arena_printf(
			&lookup->arena, "cannot decide: %s", decision->reason));
	} else if (decision->granted) {
		fa_lookup_finish(lookup, FA_GRANTED, NULL);
	} else {
		fa_lookup_finish(lookup, FA_DENIED, decision->reason);
	}
}

/* person_accept - the one person entry is in: its name, DN and whether
   its own attributes disable it */
static void person_accept(struct fa_lookup *lookup)
{
	const struct fa_settings *set = lookup->ctx->set;
	const char *name;
	unsigned int count;

	name = fa_single_value(lookup->person, set->person_name_attribute,
			       &count);
	lookup->result.person_dn = ldap_dn_comparable(&lookup->arena,
						      lookup->person->dn);
	lookup->result.person_name = name != NULL ? name :
		lookup->request.person;
	if (name != NULL)
		lookup->person_address = text_fold_name(&lookup->arena, name,
							strlen(name));
	if (count > 1) {
		lookup->person_disabled = true;
		lookup->person_disabled_reason = arena_printf(&lookup->arena,
			"the entry has %u values of %s", count,
			set->person_name_attribute);
		return;
	}
	person_check_expired(lookup);
}

/* person_next_step - check the person is enabled, then bind as them */
static void person_next_step(struct fa_lookup *lookup)
{
	const struct fa_settings *set = lookup->ctx->set;

	if (lookup->result.person_dn == NULL) {
		person_accept(lookup);
		if (lookup->person_disabled)
			return;
	}
	if (set->person_disabled_filter[0] != '\0' &&
	    !lookup->disabled_check_done) {
		/* the person's own entry, and only it, against the filter */
		lookup->disabled_check_done = true;
		lookup->person_state = FA_STEP_RUNNING;
		lookup->person_op = fa_lookup_search(lookup, lookup->person->dn,
			LDAP_POOL_SCOPE_BASE, set->person_disabled_filter,
			lookup->ctx->person_attrs, 1,
			disabled_search_callback);
		return;
	}
	if (lookup->explain) {
		lookup->bind_state = FA_STEP_DONE;
		fa_trace(lookup, lookup->send_as ?
			 "password bind: skipped (send-as: the mail server "
			 "authenticated the login)" :
			 "password bind: skipped (explain mode: no "
			 "password given)");
		return;
	}
	lookup->bind_state = FA_STEP_RUNNING;
	lookup->bind_op = ldap_pool_bind(lookup->ctx->ldap, lookup->person->dn,
					 lookup->password,
					 fa_lookup_time_left(lookup),
					 bind_callback, lookup);
}

/* fa_sender_base - "info+tag@example.com" without its extension (from
   the first recipient_delimiter character in the local part, as Postfix
   finds the owner of an address), or NULL if it has none */
static const char *fa_sender_base(struct fa_lookup *lookup, const char *sender)
{
	const char *delimiters = lookup->ctx->set->recipient_delimiter;
	const char *at = strrchr(sender, '@');
	size_t local_len = at != NULL ? (size_t)(at - sender) : strlen(sender);
	size_t pos;

	if (delimiters[0] == '\0' || local_len == 0)
		return NULL;
	pos = strcspn(sender, delimiters);
	if (pos == 0 || pos >= local_len)
		return NULL;
	return arena_printf(&lookup->arena, "%.*s%s", (int)pos, sender,
			    at != NULL ? at : "");
}

/* fa_lookup_schedule - start whatever the answers so far allow */
static void fa_lookup_schedule(struct fa_lookup *lookup)
{
	bool person_ok;
	const char *base;

	if (lookup->send_as && lookup->target_state == FA_STEP_DONE &&
	    lookup->target_count == 0 && !lookup->sender_base_tried) {
		/* info+tag@ is info@'s address: decide on the account */
		lookup->sender_base_tried = true;
		base = fa_sender_base(lookup, lookup->request.target);
		if (base != NULL) {
			fa_trace(lookup, "sender without its extension "
				 "(recipient_delimiter): \"%s\"", base);
			lookup->request.target = base;
			lookup->target_state = FA_STEP_IDLE;
			fa_lookup_start_target(lookup);
			return;
		}
	}

	if (lookup->send_as && lookup->person_state == FA_STEP_IDLE &&
	    lookup->target_state == FA_STEP_DONE && lookup->target_count > 0)
		fa_lookup_start_person(lookup);
	person_ok = lookup->person_state == FA_STEP_DONE &&
		lookup->person != NULL && !lookup->person_disabled;
	if (person_ok && lookup->bind_state == FA_STEP_IDLE)
		person_next_step(lookup);
	if (lookup->target_state == FA_STEP_DONE && lookup->target != NULL &&
	    lookup->result.target_dn == NULL)
		fa_lookup_set_target(lookup);
	person_ok = lookup->person_state == FA_STEP_DONE &&
		lookup->person != NULL && !lookup->person_disabled;
	if (lookup->groups_wanted && lookup->group_state == FA_STEP_IDLE &&
	    person_ok && lookup->result.person_dn != NULL &&
	    lookup->target_state == FA_STEP_DONE && lookup->target != NULL &&
	    lookup->target_invalid == NULL) {
		if (fa_lookup_needs_groups(lookup))
			groups_start(lookup);
		else
			lookup->group_state = FA_STEP_DONE;
	}
}

static void fa_lookup_outcome_userdb(struct fa_lookup *lookup)
{
	if (lookup->target_state == FA_STEP_TEMPFAIL)
		fa_lookup_finish(lookup, FA_TEMPFAIL, lookup->tempfail_reason);
	else if (lookup->target == NULL)
		fa_lookup_finish(lookup, FA_UNKNOWN_TARGET,
			lookup->target_count == 0 ? "no such functional account" :
			"the name matches several entries");
	else if (lookup->target_invalid != NULL)
		fa_lookup_finish(lookup, FA_UNKNOWN_TARGET,
				 lookup->target_invalid);
	else
		fa_lookup_finish(lookup, FA_GRANTED, NULL);
}

/* fa_lookup_outcome - every answer is in: the result, in the order of
   precedence the top of this file gives */
static void fa_lookup_outcome(struct fa_lookup *lookup)
{
	if (lookup->userdb_only) {
		fa_lookup_outcome_userdb(lookup);
	} else if (lookup->send_as && lookup->target_state == FA_STEP_TEMPFAIL) {
		fa_lookup_finish(lookup, FA_TEMPFAIL, lookup->tempfail_reason);
	} else if (lookup->send_as && lookup->target_count == 0) {
		fa_lookup_finish(lookup, FA_UNKNOWN_TARGET,
				 "not a functional account (target_filter "
				 "matches no entry)");
	} else if (lookup->send_as && lookup->person_state == FA_STEP_IDLE) {
		/* cannot happen: the target is in, so the person was asked */
		fa_lookup_finish(lookup, FA_TEMPFAIL,
				 "internal: person not looked up");
	} else if (lookup->person_state == FA_STEP_TEMPFAIL) {
		fa_lookup_finish(lookup, FA_TEMPFAIL, lookup->tempfail_reason);
	} else if (lookup->person == NULL) {
		fa_lookup_finish(lookup, FA_DENIED, lookup->person_count == 0 ?
			"person unknown (person_filter matches no entry)" :
			arena_printf(&lookup->arena, "person ambiguous "
				     "(person_filter matches %u or more entries)",
				     lookup->person_count));
	} else if (lookup->person_disabled) {
		fa_lookup_finish(lookup, FA_DENIED, arena_printf(&lookup->arena,
			"person disabled: %s", lookup->person_disabled_reason));
	} else if (!lookup->explain && lookup->bind_state == FA_STEP_DONE &&
		   !lookup->bind_ok) {
		fa_lookup_finish(lookup, FA_BAD_PASSWORD, arena_printf(
			&lookup->arena, "password bind refused: %s",
			lookup->bind_error));
	} else if (lookup->bind_state == FA_STEP_TEMPFAIL ||
		   lookup->target_state == FA_STEP_TEMPFAIL ||
		   lookup->group_state == FA_STEP_TEMPFAIL) {
		fa_lookup_finish(lookup, FA_TEMPFAIL, lookup->tempfail_reason);
	} else if (!lookup->explain && !lookup->bind_ok) {
		/* cannot happen; never let it fall through to a grant */
		fa_lookup_finish(lookup, FA_TEMPFAIL, "internal: no bind result");
	} else if (lookup->request.target == NULL) {
		fa_lookup_finish(lookup, FA_GRANTED, NULL);
	} else if (lookup->target == NULL) {
		fa_lookup_finish(lookup, FA_DENIED, lookup->target_count == 0 ?
			"target unknown (target_filter matches no entry)" :
			arena_printf(&lookup->arena, "target ambiguous "
				     "(target_filter matches %u or more entries)",
				     lookup->target_count));
	} else if (lookup->target_invalid != NULL) {
		fa_lookup_finish(lookup, FA_DENIED, lookup->target_invalid);
	} else if (lookup->groups_wanted &&
		   lookup->group_state != FA_STEP_DONE) {
		fa_lookup_finish(lookup, FA_TEMPFAIL,
				 "internal: groups not looked up");
	} else {
		fa_lookup_decide(lookup);
	}
}

/* fa_lookup_continue - start what can start; decide once nothing runs */
static void fa_lookup_continue(struct fa_lookup *lookup)
{
	if (lookup->finished)
		return;
	if (lookup->empty_password) {
		fa_lookup_finish(lookup, FA_BAD_PASSWORD, "empty password "
				 "(refused without asking the directory)");
		return;
	}
	fa_lookup_schedule(lookup);
	if (lookup->finished || fa_lookup_busy(lookup) ||
	    lookup->finish_timeout != NULL)
		return;
	fa_lookup_outcome(lookup);
}

static struct fa_lookup *fa_lookup_new(struct fa_context *ctx, bool want_trace,
				       fa_lookup_callback_t *callback,
				       void *context)
{
	struct fa_lookup *lookup = calloc(1, sizeof(*lookup));

	if (lookup == NULL || ctx->shutting_down)
		abort();
	lookup->ctx = ctx;
	arena_init(&lookup->arena, 4096);
	lookup->request.want_trace = want_trace;
	lookup->callback = callback;
	lookup->context = context;
	lookup->deadline_msecs = fa_clock_msecs() +
		(long long)ctx->set->ldap_timeout * 1000;
	lookup->groups = arena_alloc(&lookup->arena,
		sizeof(*lookup->groups) * FA_MAX_GROUPS);
	lookup->result.decision.right = ACL_RIGHT_UNSET;
	lookup->next = ctx->lookups;
	if (ctx->lookups != NULL)
		ctx->lookups->prev = lookup;
	ctx->lookups = lookup;
	return lookup;
}

static void fa_lookup_start_person(struct fa_lookup *lookup)
{
	struct fa_context *ctx = lookup->ctx;
	const char *filter;

	if (lookup_cache_get(ctx->cache, LOOKUP_CACHE_PERSON,
			     lookup->request.person, &lookup->arena,
			     &lookup->person, &lookup->person_count) == 0) {
		lookup->person_state = FA_STEP_DONE;
		fa_trace(lookup, "person: %s (cached)", lookup->person->dn);
		fa_lookup_kick(lookup);
		return;
	}
	filter = fa_expand_filter(lookup, ctx->set->person_filter,
				  lookup->request.person, NULL, NULL);
	lookup->person_state = FA_STEP_RUNNING;
	lookup->person_op = fa_lookup_search(lookup, ctx->set->person_base,
		LDAP_POOL_SCOPE_SUBTREE, filter, ctx->person_attrs, 2,
		person_search_callback);
}

static void fa_lookup_start_target(struct fa_lookup *lookup)
{
	const struct fa_settings *set = lookup->ctx->set;
	const char *filter;

	if (lookup_cache_get(lookup->ctx->cache, LOOKUP_CACHE_TARGET,
			     lookup->request.target, &lookup->arena,
			     &lookup->target, &lookup->target_count) == 0) {
		lookup->target_state = FA_STEP_DONE;
		fa_trace(lookup, "target: %s (cached)", lookup->target->dn);
		fa_lookup_kick(lookup);
		return;
	}
	filter = fa_expand_filter(lookup, set->target_filter,
				  lookup->request.target, NULL, NULL);
	lookup->target_state = FA_STEP_RUNNING;
	lookup->target_op = fa_lookup_search(lookup, set->target_base,
		LDAP_POOL_SCOPE_SUBTREE, filter, lookup->ctx->target_attrs, 2,
		target_search_callback);
}

static struct fa_lookup *
fa_lookup_start(struct fa_context *ctx, const struct fa_lookup_request *request,
		bool explain, fa_lookup_callback_t *callback, void *context)
{
	struct fa_lookup *lookup;

	lookup = fa_lookup_new(ctx, request->want_trace, callback, context);
	lookup->explain = explain;
	lookup->request.person = arena_strdup(&lookup->arena, request->person);
	lookup->request.target = arena_strdup(&lookup->arena, request->target);
	lookup->request.sending = request->sending;
	lookup->groups_wanted = true;
	fa_trace(lookup, "person \"%s\", target \"%s\"", request->person,
		 request->target != NULL ? request->target : "(none)");

	if (!explain && (request->password == NULL ||
			 request->password[0] == '\0')) {
		/* never asked of the directory: an empty simple bind is an
		   anonymous bind, which "succeeds" */
		lookup->empty_password = true;
		fa_lookup_kick(lookup);
		return lookup;
	}
	if (!explain) {
		lookup->password = strdup(request->password);
		if (lookup->password == NULL)
			abort();
	}
	fa_lookup_start_person(lookup);
	if (request->target != NULL)
		fa_lookup_start_target(lookup);
	return lookup;
}

struct fa_lookup *fa_lookup_auth(struct fa_context *ctx,
				 const struct fa_lookup_request *request,
				 fa_lookup_callback_t *callback, void *context)
{
	return fa_lookup_start(ctx, request, false, callback, context);
}

struct fa_lookup *fa_lookup_explain(struct fa_context *ctx,
				    const struct fa_lookup_request *request,
				    fa_lookup_callback_t *callback,
				    void *context)
{
	return fa_lookup_start(ctx, request, true, callback, context);
}

struct fa_lookup *fa_lookup_target(struct fa_context *ctx, const char *target,
				   bool want_trace,
				   fa_lookup_callback_t *callback, void *context)
{
	struct fa_lookup *lookup;

	lookup = fa_lookup_new(ctx, want_trace, callback, context);
	lookup->userdb_only = true;
	lookup->request.target = arena_strdup(&lookup->arena, target);
	fa_lookup_start_target(lookup);
	return lookup;
}

struct fa_lookup *fa_lookup_send_as(struct fa_context *ctx, const char *person,
				   const char *sender, bool want_trace,
				   fa_lookup_callback_t *callback,
				   void *context)
{
	struct fa_lookup *lookup;

	lookup = fa_lookup_new(ctx, want_trace, callback, context);
	lookup->explain = true;
	lookup->send_as = true;
	lookup->groups_wanted = true;
	lookup->request.person = arena_strdup(&lookup->arena, person);
	lookup->request.target = arena_strdup(&lookup->arena, sender);
	fa_trace(lookup, "send-as: login \"%s\", sender \"%s\"", person,
		 sender);
	fa_lookup_start_target(lookup);
	return lookup;
}

void fa_lookup_abort(struct fa_lookup **lookup_p)
{
	struct fa_lookup *lookup = *lookup_p;

	if (lookup == NULL)
		return;
	*lookup_p = NULL;
	fa_lookup_free(lookup);
}
