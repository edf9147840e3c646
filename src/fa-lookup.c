/* fa-lookup - the directory side of one login (see fa-lookup.h).

   Round trips are overlapped: the person and the target are searched at
   once; the password bind and, only when the target's rules need them,
   the person's groups follow in parallel. When every answer is in, the
   facts go to grant_decide(). Precedence of outcomes: directory trouble
   on the person -> temporary failure; unknown, ambiguous or disabled
   person -> denied (no bind is attempted for them); refused bind -> bad
   password; any other directory trouble -> temporary failure; unknown or
   ambiguous target -> denied; then the decision. */

#include "fa-lookup.h"
#include "fa-settings.h"
#include "ldap-pool.h"
#include "lookup-cache.h"
#include "ldap-filter.h"
#include "ldap-dn.h"
#include "var-template.h"
#include "arena.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FA_MAX_GROUPS 256
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
};

enum fa_step_state {
	FA_STEP_IDLE,
	FA_STEP_RUNNING,
	FA_STEP_DONE,
	FA_STEP_TEMPFAIL,
};

struct fa_lookup {
	struct fa_context *ctx;
	struct arena arena;
	struct fa_lookup_request request;
	bool userdb_only;

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
	/* the target's member_attribute values, normalised once */
	const char *const *members;
	unsigned int member_count;

	/* groups found so far, and the level being searched */
	const char **group_dns, **group_names;
	unsigned int group_count;
	unsigned int group_depth;
	bool groups_wanted;

	/* refused before any directory work */
	bool empty_password;
	struct fa_loop_timeout *finish_timeout;
	struct fa_result result;
	const char **trace;
	unsigned int trace_count, trace_size;
	bool finished;
};

static void fa_lookup_continue(struct fa_lookup *lookup);

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

void fa_context_deinit(struct fa_context **ctx_p)
{
	struct fa_context *ctx = *ctx_p;

	if (ctx == NULL)
		return;
	*ctx_p = NULL;
	ldap_pool_deinit(&ctx->ldap);
	lookup_cache_free(&ctx->cache);
	arena_free(&ctx->arena);
	free(ctx);
}

static void fa_lookup_free(struct fa_lookup *lookup)
{
	ldap_op_cancel(&lookup->person_op);
	ldap_op_cancel(&lookup->target_op);
	ldap_op_cancel(&lookup->bind_op);
	ldap_op_cancel(&lookup->group_op);
	if (lookup->finish_timeout != NULL)
		lookup->ctx->loop->timeout_remove(lookup->ctx->loop,
						  &lookup->finish_timeout);
	arena_free(&lookup->arena);
	free(lookup);
}

static void fa_lookup_finish(struct fa_lookup *lookup, enum fa_status status,
			     const char *reason)
{
	lookup->finished = true;
	lookup->result.status = status;
	lookup->result.reason = reason;
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

static bool fa_lookup_busy(const struct fa_lookup *lookup)
{
	return lookup->person_state == FA_STEP_RUNNING ||
		lookup->target_state == FA_STEP_RUNNING ||
		lookup->bind_state == FA_STEP_RUNNING ||
		lookup->group_state == FA_STEP_RUNNING;
}

/* person_check_expired - shadowExpire-style: days since 1970; an account
   whose day has come is disabled; a value that is no number disables too */
static void person_check_expired(struct fa_lookup *lookup)
{
	const struct fa_settings *set = lookup->ctx->set;
	const char *value;
	long long days, today = (long long)(time(NULL) / 86400);
	char *end;

	if (set->person_expire_attribute[0] == '\0')
		return;
	value = ldap_entry_first(lookup->person, set->person_expire_attribute);
	if (value == NULL)
		return;
	days = strtoll(value, &end, 10);
	if (*value == '\0' || *end != '\0') {
		lookup->person_disabled = true;
		lookup->person_disabled_reason = arena_printf(&lookup->arena,
			"%s value \"%s\" is not a day number",
			set->person_expire_attribute, value);
	} else if (days <= today) {
		lookup->person_disabled = true;
		lookup->person_disabled_reason = arena_printf(&lookup->arena,
			"%s=%lld is not in the future (today is day %lld)",
			set->person_expire_attribute, days, today);
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
   member DNs are normalized: done once when the entry arrives, so that
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
		if (strcasecmp(lookup->group_dns[i], dn) == 0)
			return true;
	}
	return false;
}

static void group_add(struct fa_lookup *lookup, const char *dn,
		      const char *name)
{
	if (lookup->group_count >= FA_MAX_GROUPS || group_seen(lookup, dn))
		return;
	lookup->group_dns[lookup->group_count] = dn;
	lookup->group_names[lookup->group_count] = name;
	lookup->group_count++;
	fa_trace(lookup, "group: %s (%s)", name != NULL ? name : "?", dn);
}

static void group_search_start(struct fa_lookup *lookup,
			       unsigned int first_new);

/* groups_cache_put - the person's whole group list, one entry a group */
static void groups_cache_put(struct fa_lookup *lookup)
{
	const char *name_attr = lookup->ctx->set->group_name_attribute;
	struct ldap_entry *entries;
	struct ldap_attr *attrs;
	const char **values;
	unsigned int i;

	if (lookup->ctx->cache == NULL)
		return;
	entries = arena_alloc(&lookup->arena,
			      sizeof(*entries) * (lookup->group_count + 1));
	for (i = 0; i < lookup->group_count; i++) {
		entries[i].dn = lookup->group_dns[i];
		if (lookup->group_names[i] == NULL)
			continue;
		attrs = arena_alloc(&lookup->arena, sizeof(*attrs));
		values = arena_alloc(&lookup->arena, sizeof(*values) * 2);
		values[0] = lookup->group_names[i];
		attrs->name = name_attr;
		attrs->values = values;
		attrs->value_count = 1;
		entries[i].attrs = attrs;
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
		group_add(lookup, entries[i].dn,
			  ldap_entry_first(&entries[i],
				lookup->ctx->set->group_name_attribute));
	}
	lookup->group_state = FA_STEP_DONE;
	return true;
}

static void group_search_callback(enum ldap_op_result result,
				  const char *error,
				  const struct ldap_entry *entries,
				  unsigned int count, void *context)
{
	struct fa_lookup *lookup = context;
	const struct fa_settings *set = lookup->ctx->set;
	unsigned int i, before = lookup->group_count;

	lookup->group_op = NULL;
	if (result != LDAP_OP_OK) {
		lookup->group_state = FA_STEP_TEMPFAIL;
		lookup->tempfail_reason = arena_printf(&lookup->arena,
			"group search failed: %s", error);
		fa_lookup_continue(lookup);
		return;
	}
	for (i = 0; i < count; i++) {
		group_add(lookup,
			  ldap_dn_comparable(&lookup->arena, entries[i].dn),
			  ldap_entry_first(&entries[i],
					   set->group_name_attribute));
	}
	/* groups in groups, for member lists that name a parent group;
	   seen DNs are skipped, so a loop ends the walk */
	/* groups in groups matter only for member lists (OX), which may
	   name a parent group; ACL values name groups by their own name */
	if (lookup->group_count > before && lookup->member_count > 0 &&
	    ++lookup->group_depth < set->group_nesting_depth) {
		group_search_start(lookup, before);
		return;
	}
	lookup->group_state = FA_STEP_DONE;
	groups_cache_put(lookup);
	fa_lookup_continue(lookup);
}

/* group_search_start - groups containing the person (first_new is
   UINT_MAX), or containing any group found from first_new on */
static void group_search_start(struct fa_lookup *lookup,
			       unsigned int first_new)
{
	const struct fa_settings *set = lookup->ctx->set;
	const char *filter, *part;
	unsigned int i;

	if (first_new == (unsigned int)-1) {
		if (groups_from_cache(lookup))
			return;
		filter = fa_expand_filter(lookup, set->group_filter,
			lookup->request.person, lookup->result.person_dn,
			ldap_entry_first(lookup->person,
					 set->person_uid_attribute) != NULL ?
			ldap_entry_first(lookup->person,
					 set->person_uid_attribute) : "");
	} else {
		filter = "(|";
		for (i = first_new; i < lookup->group_count; i++) {
			part = fa_expand_filter(lookup, set->group_filter,
				lookup->request.person, lookup->group_dns[i], "");
			if (part == NULL)
				break;
			filter = arena_printf(&lookup->arena, "%s%s",
					      filter, part);
		}
		filter = arena_printf(&lookup->arena, "%s)", filter);
	}
	if (filter == NULL) {
		lookup->group_state = FA_STEP_TEMPFAIL;
		lookup->tempfail_reason = "group_filter could not be expanded";
		fa_lookup_continue(lookup);
		return;
	}
	lookup->group_state = FA_STEP_RUNNING;
	lookup->group_op = ldap_pool_search(lookup->ctx->ldap, &lookup->arena,
		set->group_base, filter, lookup->ctx->group_attrs,
		FA_MAX_GROUPS, group_search_callback, lookup);
}

/* dn_first_value - "support" from "cn=support,cn=groups,..." or NULL */
static const char *dn_first_value(struct arena *arena, const char *dn)
{
	LDAPDN parsed = NULL;
	const char *value = NULL;

	if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
	    parsed != NULL && parsed[0] != NULL && parsed[0][0] != NULL) {
		value = arena_strndup(arena, parsed[0][0]->la_value.bv_val,
				      parsed[0][0]->la_value.bv_len);
	}
	if (parsed != NULL)
		ldap_dnfree(parsed);
	return value;
}

static void groups_from_memberof(struct fa_lookup *lookup)
{
	const struct fa_settings *set = lookup->ctx->set;
	const struct ldap_attr *attr;
	unsigned int i;

	if (set->person_memberof_attribute[0] == '\0')
		return;
	attr = ldap_entry_attr(lookup->person, set->person_memberof_attribute);
	for (i = 0; attr != NULL && i < attr->value_count; i++) {
		group_add(lookup,
			  ldap_dn_comparable(&lookup->arena, attr->values[i]),
			  dn_first_value(&lookup->arena, attr->values[i]));
	}
}

/* target_needs_groups - would the person's groups change the decision? */
static bool target_needs_groups(struct fa_lookup *lookup)
{
	const struct fa_settings *set = lookup->ctx->set;
	const struct ldap_attr *attr;
	const char *name, *uid, *id, *error;
	enum acl_right right;
	size_t id_len;
	unsigned int i;
	bool others = false;

	for (i = 0; i < lookup->member_count; i++) {
		if (strcasecmp(lookup->members[i],
			       lookup->result.person_dn) == 0)
			return false;
	}
	if (lookup->member_count > 0 && set->group_nesting_depth > 0)
		return true;
	if (set->acl_attribute[0] == '\0' ||
	    (attr = ldap_entry_attr(lookup->target, set->acl_attribute)) == NULL)
		return false;
	name = lookup->result.person_name;
	uid = ldap_entry_first(lookup->person, set->person_uid_attribute);
	for (i = 0; i < attr->value_count; i++) {
		if (acl_value_parse(attr->values[i], &id, &id_len, &right,
				    &error) < 0)
			continue;
		/* a value naming the person decides alone: groups can
		   change nothing */
		if ((name != NULL && strlen(name) == id_len &&
		     strncasecmp(name, id, id_len) == 0) ||
		    (uid != NULL && strlen(uid) == id_len &&
		     strncasecmp(uid, id, id_len) == 0))
			return false;
		others = true;
	}
	return others;
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
	const struct ldap_attr *members;
	const char *name;

	name = ldap_entry_first(lookup->target, set->target_name_attribute);
	/* DNs normalized when the entry arrived: target_normalized() */
	lookup->result.target_dn = lookup->target->dn;
	lookup->result.target_name = name != NULL ? name :
		lookup->request.target;
	lookup->result.quota_mb = target_quota(lookup);

	members = set->member_attribute[0] == '\0' ? NULL :
		ldap_entry_attr(lookup->target, set->member_attribute);
	if (members != NULL && members->value_count > 0) {
		lookup->members = members->values;
		lookup->member_count = members->value_count;
	}
}

static void fa_lookup_decide(struct fa_lookup *lookup)
{
	const struct fa_settings *set = lookup->ctx->set;
	const struct ldap_attr *acl;
	struct grant_rules rules = {
		.member_attribute = set->member_attribute,
		.acl_attribute = set->acl_attribute,
		.min_right = set->min_right,
	};
	struct grant_person person = {
		.dn = lookup->result.person_dn,
		.name = lookup->result.person_name,
		.uid = ldap_entry_first(lookup->person,
					set->person_uid_attribute),
		.group_names = lookup->group_names,
		.group_name_count = lookup->group_count,
		.group_dns = lookup->group_dns,
		.group_dn_count = lookup->group_count,
	};
	struct grant_target target = { .dn = lookup->result.target_dn };
	struct grant_decision *decision = &lookup->result.decision;
	unsigned int i;

	target.members = lookup->members;
	target.member_count = lookup->member_count;
	acl = set->acl_attribute[0] == '\0' ? NULL :
		ldap_entry_attr(lookup->target, set->acl_attribute);
	if (acl != NULL) {
		target.acl_values = acl->values;
		target.acl_value_count = acl->value_count;
	}
	grant_decide(&lookup->arena, &rules, &person, &target, decision);
	for (i = 0; i < decision->ignored_value_count; i++)
		fa_trace(lookup, "ignored %s value %s", set->acl_attribute,
			 decision->ignored_values[i]);
	if (decision->rule != NULL)
		fa_trace(lookup, "rule: %s", decision->rule);
	if (decision->granted)
		fa_lookup_finish(lookup, FA_GRANTED, NULL);
	else
		fa_lookup_finish(lookup, FA_DENIED, decision->reason);
}

/* person_next_step - the one person entry is in: check it is enabled,
   then bind as it */
static void person_next_step(struct fa_lookup *lookup)
{
	const struct fa_settings *set = lookup->ctx->set;
	const char *name, *filter;

	if (lookup->result.person_dn == NULL) {
		name = ldap_entry_first(lookup->person,
					set->person_name_attribute);
		lookup->result.person_dn = ldap_dn_comparable(&lookup->arena,
							lookup->person->dn);
		lookup->result.person_name = name != NULL ? name :
			lookup->request.person;
		person_check_expired(lookup);
		if (lookup->person_disabled)
			return;
	}
	if (set->person_disabled_filter[0] != '\0' &&
	    !lookup->disabled_check_done) {
		/* the person's own entry against the disabled filter */
		lookup->disabled_check_done = true;
		filter = fa_expand_filter(lookup, set->person_filter,
					  lookup->request.person, NULL, NULL);
		filter = arena_printf(&lookup->arena, "(&%s%s)", filter,
				      set->person_disabled_filter);
		lookup->person_state = FA_STEP_RUNNING;
		lookup->person_op = ldap_pool_search(lookup->ctx->ldap,
			&lookup->arena, lookup->person->dn, filter,
			lookup->ctx->person_attrs, 1,
			disabled_search_callback, lookup);
		return;
	}
	groups_from_memberof(lookup);
	if (lookup->request.password == NULL) {
		lookup->bind_state = FA_STEP_DONE;
		fa_trace(lookup, "password bind: skipped (explain mode: no "
			 "password given)");
		return;
	}
	lookup->bind_state = FA_STEP_RUNNING;
	lookup->bind_op = ldap_pool_bind(lookup->ctx->ldap, lookup->person->dn,
					 lookup->request.password,
					 bind_callback, lookup);
}

/* fa_lookup_continue - start whatever the answers so far allow, and
   finish once nothing is running */
static void fa_lookup_continue(struct fa_lookup *lookup)
{
	if (lookup->finished)
		return;
	if (lookup->empty_password) {
		fa_lookup_finish(lookup, FA_BAD_PASSWORD, "empty password "
				 "(refused without asking the directory)");
		return;
	}
	if (lookup->person_state == FA_STEP_DONE && lookup->person != NULL &&
	    !lookup->person_disabled && lookup->bind_state == FA_STEP_IDLE)
		person_next_step(lookup);
	if (lookup->target_state == FA_STEP_DONE && lookup->target != NULL &&
	    lookup->result.target_dn == NULL)
		fa_lookup_set_target(lookup);
	if (lookup->groups_wanted && lookup->group_state == FA_STEP_IDLE &&
	    lookup->person_state == FA_STEP_DONE && lookup->person != NULL &&
	    !lookup->person_disabled &&
	    lookup->target_state == FA_STEP_DONE && lookup->target != NULL &&
	    target_needs_groups(lookup))
		group_search_start(lookup, (unsigned int)-1);
	if (fa_lookup_busy(lookup))
		return;

	if (lookup->userdb_only) {
		if (lookup->target_state == FA_STEP_TEMPFAIL)
			fa_lookup_finish(lookup, FA_TEMPFAIL,
					 lookup->tempfail_reason);
		else if (lookup->target == NULL)
			fa_lookup_finish(lookup, FA_UNKNOWN_TARGET,
				lookup->target_count == 0 ? "no such functional account" :
				"the name matches several entries");
		else
			fa_lookup_finish(lookup, FA_GRANTED, NULL);
		return;
	}
	if (lookup->person_state == FA_STEP_TEMPFAIL) {
		fa_lookup_finish(lookup, FA_TEMPFAIL, lookup->tempfail_reason);
	} else if (lookup->person == NULL) {
		fa_lookup_finish(lookup, FA_DENIED, lookup->person_count == 0 ?
			"person unknown (person_filter matches no entry)" :
			arena_printf(&lookup->arena, "person ambiguous "
				     "(person_filter matches %u entries)",
				     lookup->person_count));
	} else if (lookup->person_disabled) {
		fa_lookup_finish(lookup, FA_DENIED, arena_printf(&lookup->arena,
			"person disabled: %s", lookup->person_disabled_reason));
	} else if (lookup->request.password != NULL &&
		   lookup->bind_state == FA_STEP_DONE && !lookup->bind_ok) {
		fa_lookup_finish(lookup, FA_BAD_PASSWORD, arena_printf(
			&lookup->arena, "password bind refused: %s",
			lookup->bind_error));
	} else if (lookup->bind_state == FA_STEP_TEMPFAIL ||
		   lookup->target_state == FA_STEP_TEMPFAIL ||
		   lookup->group_state == FA_STEP_TEMPFAIL) {
		fa_lookup_finish(lookup, FA_TEMPFAIL, lookup->tempfail_reason);
	} else if (lookup->request.password != NULL && !lookup->bind_ok) {
		/* cannot happen; never let it fall through to a grant */
		fa_lookup_finish(lookup, FA_TEMPFAIL, "internal: no bind result");
	} else if (lookup->request.target == NULL) {
		fa_lookup_finish(lookup, FA_GRANTED, NULL);
	} else if (lookup->target == NULL) {
		fa_lookup_finish(lookup, FA_DENIED, lookup->target_count == 0 ?
			"target unknown (target_filter matches no entry)" :
			arena_printf(&lookup->arena, "target ambiguous "
				     "(target_filter matches %u entries)",
				     lookup->target_count));
	} else {
		fa_lookup_decide(lookup);
	}
}

static struct fa_lookup *fa_lookup_new(struct fa_context *ctx, bool want_trace,
				       fa_lookup_callback_t *callback,
				       void *context)
{
	struct fa_lookup *lookup = calloc(1, sizeof(*lookup));

	if (lookup == NULL)
		abort();
	lookup->ctx = ctx;
	arena_init(&lookup->arena, 4096);
	lookup->request.want_trace = want_trace;
	lookup->callback = callback;
	lookup->context = context;
	lookup->group_dns = arena_alloc(&lookup->arena,
		sizeof(*lookup->group_dns) * FA_MAX_GROUPS);
	lookup->group_names = arena_alloc(&lookup->arena,
		sizeof(*lookup->group_names) * FA_MAX_GROUPS);
	return lookup;
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
	lookup->target_op = ldap_pool_search(lookup->ctx->ldap, &lookup->arena,
		set->target_base, filter, lookup->ctx->target_attrs, 2,
		target_search_callback, lookup);
}

struct fa_lookup *fa_lookup_auth(struct fa_context *ctx,
				 const struct fa_lookup_request *request,
				 fa_lookup_callback_t *callback, void *context)
{
	const struct fa_settings *set = ctx->set;
	struct fa_lookup *lookup;
	const char *filter;

	lookup = fa_lookup_new(ctx, request->want_trace, callback, context);
	lookup->request.person = arena_strdup(&lookup->arena, request->person);
	lookup->request.target = arena_strdup(&lookup->arena, request->target);
	lookup->request.password = request->password;
	lookup->groups_wanted = true;
	fa_trace(lookup, "person \"%s\", target \"%s\"", request->person,
		 request->target != NULL ? request->target : "(none)");

	if (request->password != NULL && request->password[0] == '\0') {
		/* never asked of the directory: an empty simple bind is an
		   anonymous bind, which "succeeds" */
		lookup->empty_password = true;
		lookup->finish_timeout = ctx->loop->timeout_add(ctx->loop, 0,
			fa_lookup_finish_timeout, lookup);
		return lookup;
	}
	if (lookup_cache_get(ctx->cache, LOOKUP_CACHE_PERSON,
			     lookup->request.person, &lookup->arena,
			     &lookup->person, &lookup->person_count) == 0) {
		lookup->person_state = FA_STEP_DONE;
		fa_trace(lookup, "person: %s (cached)", lookup->person->dn);
		fa_lookup_kick(lookup);
	} else {
		filter = fa_expand_filter(lookup, set->person_filter,
					  request->person, NULL, NULL);
		lookup->person_state = FA_STEP_RUNNING;
		lookup->person_op = ldap_pool_search(ctx->ldap, &lookup->arena,
			set->person_base, filter, ctx->person_attrs, 2,
			person_search_callback, lookup);
	}
	if (request->target != NULL)
		fa_lookup_start_target(lookup);
	return lookup;
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

void fa_lookup_abort(struct fa_lookup **lookup_p)
{
	struct fa_lookup *lookup = *lookup_p;

	if (lookup == NULL)
		return;
	*lookup_p = NULL;
	fa_lookup_free(lookup);
}
