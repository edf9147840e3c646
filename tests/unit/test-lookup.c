/* test-lookup - one login's way through the directory (fa-lookup) against
   a scripted fake directory (fake-ldap-pool.c) on a virtual clock
   (fake-loop.c). Whatever the directory answers, and in whichever order:
   exactly one callback, from the loop; never a grant on an error, a
   timeout or a partial answer; temporary failure, denial and bad password
   in the precedence the top of fa-lookup.c gives; no password ever
   reaches a bind when it is empty, and explain mode binds never; deinit
   ends every lookup in flight; the lookup cache changes no answer. */

#include "fa-lookup.h"
#include "fa-settings.h"
#include "fake-ldap-pool.h"
#include "fake-loop.h"
#include "arena.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEOPLE "cn=users,dc=example,dc=com"
#define ACCOUNTS "cn=functional_accounts,cn=open-xchange,dc=example,dc=com"
#define GROUPS_BASE "cn=groups,dc=example,dc=com"

#define ALICE_DN "uid=alice," PEOPLE
#define CAROL_DN "uid=carol," PEOPLE
#define ERIN_DN "uid=erin," PEOPLE
#define INFO_DN "cn=info," ACCOUNTS
#define HELPDESK_DN "cn=helpdesk," ACCOUNTS
#define SUPPORT_DN "cn=support," GROUPS_BASE
#define STAFF_DN "cn=staff," GROUPS_BASE

#define LDAP_TIMEOUT_SECS 5

/* --- entries, as the directory would send them --- */

#define N_VALUES(...) (unsigned int)(sizeof((const char *const[]){ \
	__VA_ARGS__ }) / sizeof(const char *))
#define ATTR(name, ...) { name, (const char *const[]){ __VA_ARGS__ }, \
	N_VALUES(__VA_ARGS__), N_VALUES(__VA_ARGS__) }
/* the first untagged values are the untagged description's, the rest
   its tagged subtypes' ("cn;lang-de") */
#define ATTR_TAGGED(name, untagged, ...) { name, \
	(const char *const[]){ __VA_ARGS__ }, N_VALUES(__VA_ARGS__), untagged }
/* an attribute listed without values (attrsonly, or hidden values) */
#define ATTR_EMPTY(name) { name, NULL, 0, 0 }
#define ENTRY(dn, ...) { dn, (const struct ldap_attr[]){ __VA_ARGS__ }, \
	(unsigned int)(sizeof((const struct ldap_attr[]){ __VA_ARGS__ }) / \
		       sizeof(struct ldap_attr)) }
#define ENTRY_BARE(dn) { dn, NULL, 0 }

static const struct ldap_entry alice_entry = ENTRY(ALICE_DN,
	ATTR("mailPrimaryAddress", "alice@example.com"), ATTR("uid", "alice"));
/* the same person, her DN written in capitals */
static const struct ldap_entry alice_capital_dn_entry =
	ENTRY("UID=Alice,CN=Users,DC=Example,DC=com",
	      ATTR("mailPrimaryAddress", "alice@example.com"),
	      ATTR("uid", "alice"));
static const struct ldap_entry alice_two_addresses_entry = ENTRY(ALICE_DN,
	ATTR("mailPrimaryAddress", "alice@example.com", "alice@example.org"),
	ATTR("uid", "alice"));
static const struct ldap_entry alice_tagged_address_entry = ENTRY(ALICE_DN,
	ATTR_TAGGED("mailPrimaryAddress", 1, "alice@example.com",
		    "alice@example.org"),
	ATTR("uid", "alice"));
static const struct ldap_entry alice_only_tagged_address_entry =
	ENTRY(ALICE_DN, ATTR_TAGGED("mailPrimaryAddress", 0,
				    "alice@example.com"),
	      ATTR("uid", "alice"));
static const struct ldap_entry alice_no_address_entry = ENTRY(ALICE_DN,
	ATTR("uid", "alice"));
static const struct ldap_entry alice_empty_address_entry = ENTRY(ALICE_DN,
	ATTR_EMPTY("mailPrimaryAddress"), ATTR("uid", "alice"));
static const struct ldap_entry alice_bare_entry = ENTRY_BARE(ALICE_DN);

static const struct ldap_entry carol_entry = ENTRY(CAROL_DN,
	ATTR("mailPrimaryAddress", "carol@example.com"), ATTR("uid", "carol"));

static const struct ldap_entry erin_entry = ENTRY(ERIN_DN,
	ATTR("mailPrimaryAddress", "erin@example.com"), ATTR("uid", "erin"),
	ATTR("shadowExpire", "99999999"));
static const struct ldap_entry erin_expired_entry = ENTRY(ERIN_DN,
	ATTR("mailPrimaryAddress", "erin@example.com"), ATTR("uid", "erin"),
	ATTR("shadowExpire", "1"));
static const struct ldap_entry erin_expire_no_number_entry = ENTRY(ERIN_DN,
	ATTR("mailPrimaryAddress", "erin@example.com"), ATTR("uid", "erin"),
	ATTR("shadowExpire", "soon"));
static const struct ldap_entry erin_expired_tagged_entry = ENTRY(ERIN_DN,
	ATTR("mailPrimaryAddress", "erin@example.com"), ATTR("uid", "erin"),
	ATTR_TAGGED("shadowExpire", 1, "99999999", "1"));
static const struct ldap_entry erin_two_addresses_entry = ENTRY(ERIN_DN,
	ATTR("mailPrimaryAddress", "erin@example.com", "erin@example.org"),
	ATTR("uid", "erin"));
static const struct ldap_entry erin_memberof_entry = ENTRY(ERIN_DN,
	ATTR("mailPrimaryAddress", "erin@example.com"), ATTR("uid", "erin"),
	ATTR("memberOf", SUPPORT_DN, STAFF_DN));
static const struct ldap_entry erin_memberof_no_dn_entry = ENTRY(ERIN_DN,
	ATTR("mailPrimaryAddress", "erin@example.com"), ATTR("uid", "erin"),
	ATTR("memberOf", SUPPORT_DN, "not a DN"));
/* two entries matching erin's login */
static const struct ldap_entry two_erins[] = {
	ENTRY(ERIN_DN, ATTR("mailPrimaryAddress", "erin@example.com")),
	ENTRY("uid=erin2," PEOPLE,
	      ATTR("mailPrimaryAddress", "erin@example.com")),
};

/* info: an OX functional account; alice is a member (written as another
   directory writes DNs), and so is the staff group */
static const struct ldap_entry info_entry = ENTRY(INFO_DN,
	ATTR("mailPrimaryAddress", "info@example.com"),
	ATTR("uniqueMember", "UID=Alice, CN=Users,DC=Example,DC=com",
	     STAFF_DN),
	ATTR("oxQuota", "500"));
static const struct ldap_entry info_two_names_entry = ENTRY(INFO_DN,
	ATTR("mailPrimaryAddress", "info@example.com", "info2@example.com"),
	ATTR("uniqueMember", ALICE_DN));
static const struct ldap_entry info_tagged_name_entry = ENTRY(INFO_DN,
	ATTR_TAGGED("mailPrimaryAddress", 1, "info@example.com",
		    "info@example.org"),
	ATTR("uniqueMember", ALICE_DN));
/* helpdesk: a UCS shared folder; carol reads, support reads, staff
   writes */
static const struct ldap_entry helpdesk_entry = ENTRY(HELPDESK_DN,
	ATTR("mailPrimaryAddress", "helpdesk@example.com"),
	ATTR("univentionMailACL", "carol@example.com read", "support read",
	     "staff write", "alice@example.com all"),
	ATTR("univentionMailUserQuota", "100"));
static const struct ldap_entry helpdesk_two_names_entry =
	ENTRY(HELPDESK_DN,
	      ATTR("mailPrimaryAddress", "helpdesk@example.com",
		   "hd@example.com"),
	      ATTR("univentionMailACL", "staff write"));
/* closed: support is shut out */
static const struct ldap_entry closed_entry = ENTRY("cn=closed," ACCOUNTS,
	ATTR("mailPrimaryAddress", "helpdesk@example.com"),
	ATTR("univentionMailACL", "support none"));
/* marketing: a group erin is not known to be in */
static const struct ldap_entry marketing_entry =
	ENTRY("cn=marketing," ACCOUNTS,
	      ATTR("mailPrimaryAddress", "marketing@example.com"),
	      ATTR("univentionMailACL", "marketing write"));
/* lobby: everybody reads */
static const struct ldap_entry lobby_entry = ENTRY("cn=lobby," ACCOUNTS,
	ATTR("mailPrimaryAddress", "lobby@example.com"),
	ATTR("univentionMailACL", "anyone read", "carol@example.com write"));
/* garbled: a value naming nobody, then one that may name support */
static const struct ldap_entry garbled_entry = ENTRY("cn=garbled," ACCOUNTS,
	ATTR("mailPrimaryAddress", "garbled@example.com"),
	ATTR("univentionMailACL", "marketing superuser", "support bogus",
	     "anyone all"));
static const struct ldap_entry two_helpdesks[] = {
	ENTRY(HELPDESK_DN, ATTR("mailPrimaryAddress", "helpdesk@example.com")),
	ENTRY("cn=helpdesk2," ACCOUNTS,
	      ATTR("mailPrimaryAddress", "helpdesk@example.com")),
};

static const struct ldap_entry support_group = ENTRY(SUPPORT_DN,
	ATTR("cn", "support"));
static const struct ldap_entry staff_group = ENTRY(STAFF_DN,
	ATTR("cn", "Staff"));
/* a group whose cn the directory does not show */
static const struct ldap_entry hidden_group =
	ENTRY_BARE("cn=hidden," GROUPS_BASE);
static const struct ldap_entry tagged_cn_group =
	ENTRY("cn=tagged," GROUPS_BASE,
	      ATTR_TAGGED("cn", 0, "marketing"));

/* --- scripts --- */

#define FIND_PERSON(login, ...) { .kind = FAKE_SEARCH, .base = PEOPLE, \
	.scope = FAKE_SCOPE_SUBTREE, .filter_has = "(uid=" login ")", \
	__VA_ARGS__ }
#define FIND_TARGET(name, ...) { .kind = FAKE_SEARCH, .base = ACCOUNTS, \
	.scope = FAKE_SCOPE_SUBTREE, \
	.filter_has = "(mailPrimaryAddress=" name ")", __VA_ARGS__ }
#define FIND_GROUPS(has, ...) { .kind = FAKE_SEARCH, .base = GROUPS_BASE, \
	.scope = FAKE_SCOPE_SUBTREE, .filter_has = has, __VA_ARGS__ }
#define BIND(dn, ...) { .kind = FAKE_BIND, .base = dn, __VA_ARGS__ }
#define ONE(entry) .entries = &(entry), .entry_count = 1
#define ALL_OF(array) .entries = (array), \
	.entry_count = sizeof(array) / sizeof((array)[0])
#define TEMPFAIL .answer = FAKE_ANSWER_TEMPFAIL
#define REFUSED .answer = FAKE_ANSWER_REFUSED
#define AT_TIMEOUT .when = FAKE_AT_TIMEOUT
#define AFTER(msecs) .when = FAKE_AFTER, .after_msecs = (msecs)
#define SCRIPT(rules) fake_directory_script(rules, \
	(unsigned int)(sizeof(rules) / sizeof((rules)[0])))

/* erin's groups: support, and staff (which holds support) */
#define ERIN_GROUPS_LEVEL1 "(memberUid=erin)"
#define ERIN_GROUPS_LEVEL2 "(uniqueMember=" SUPPORT_DN ")"
#define ERIN_GROUPS_LEVEL3 "(uniqueMember=" STAFF_DN ")"
#define ERIN_GROUPS \
	FIND_GROUPS(ERIN_GROUPS_LEVEL1, ONE(support_group)), \
	FIND_GROUPS(ERIN_GROUPS_LEVEL2, ONE(staff_group)), \
	FIND_GROUPS(ERIN_GROUPS_LEVEL3)

/* --- the fixture --- */

struct outcome {
	unsigned int callbacks;
	bool called_inside;
	enum fa_status status;
	const char *reason;
	const char *person_name, *person_dn;
	const char *target_name, *target_dn;
	const char *quota_mb;
	bool granted, incomplete, password_checked;
	enum acl_right right;
	const char *rule;
};

static struct arena arena;
static struct fake_loop *loop;
static struct fa_settings *set;
static struct fa_context *ctx;
/* set while a test is inside an fa_lookup_*() call */
static bool in_api_call;
/* the password of the logins started so far: no trace line, reason or
   rule may show it */
static const char *secret_seen[8];
static unsigned int secret_seen_count;

static void setup(void)
{
	arena_init(&arena, 4096);
	loop = fake_loop_new();
	set = NULL;
	ctx = NULL;
	in_api_call = false;
	secret_seen_count = 0;
	fake_directory_reset();
}

static void teardown(void)
{
	fa_context_deinit(&ctx);
	fa_settings_free(&set);
	fake_directory_reset();
	fake_loop_free(&loop);
	arena_free(&arena);
}

static const char *copy(const char *str)
{
	return str == NULL ? NULL : arena_strdup(&arena, str);
}

/* remember_secret - a password the results must never show */
static void remember_secret(const char *password)
{
	unsigned int i;

	if (password == NULL || strlen(password) < 4)
		return;
	for (i = 0; i < secret_seen_count; i++) {
		if (strcmp(secret_seen[i], password) == 0)
			return;
	}
	if (secret_seen_count < sizeof(secret_seen) / sizeof(secret_seen[0]))
		secret_seen[secret_seen_count++] = copy(password);
}

static void ck_assert_no_secret(const char *what, const char *text)
{
	unsigned int i;

	for (i = 0; text != NULL && i < secret_seen_count; i++) {
		ck_assert_msg(strstr(text, secret_seen[i]) == NULL,
			      "the password shows in the %s: %s", what, text);
	}
}

static void outcome_callback(const struct fa_result *result, void *context)
{
	struct outcome *o = context;
	unsigned int i;

	for (i = 0; i < result->trace_count; i++)
		ck_assert_no_secret("trace", result->trace[i]);
	ck_assert_no_secret("reason", result->reason);
	ck_assert_no_secret("rule", result->decision.rule);
	ck_assert_no_secret("decision", result->decision.reason);

	o->callbacks++;
	if (in_api_call)
		o->called_inside = true;
	o->status = result->status;
	o->reason = copy(result->reason);
	o->person_name = copy(result->person_name);
	o->person_dn = copy(result->person_dn);
	o->target_name = copy(result->target_name);
	o->target_dn = copy(result->target_dn);
	o->quota_mb = copy(result->quota_mb);
	o->granted = result->decision.granted;
	o->incomplete = result->decision.incomplete;
	o->right = result->decision.right;
	o->rule = copy(result->decision.rule);
	o->password_checked = result->password_checked;
}

/* start_context - the settings every test shares, plus extra lines; the
   lookup cache is off unless extra turns it on */
static void start_context(const char *extra)
{
	const char *text, *error = NULL;

	text = arena_printf(&arena,
		"ldap_uris = ldap://fake.invalid/\n"
		"ldap_base = dc=example,dc=com\n"
		"person_base = " PEOPLE "\n"
		"target_base = " ACCOUNTS "\n"
		"group_base = " GROUPS_BASE "\n"
		"ldap_timeout = %u\n%s%s", LDAP_TIMEOUT_SECS,
		strstr(extra, "lookup_cache_ttl") == NULL ?
		"lookup_cache_ttl = 0\n" : "", extra);
	ck_assert_msg(fa_settings_parse("test.conf", text, strlen(text),
					&set, &error) == 0,
		      "settings refused: %s", error);
	ctx = fa_context_init(set, fake_loop_fa(loop));
}

static struct outcome *outcome_new(void)
{
	struct outcome *o = arena_alloc(&arena, sizeof(*o));

	memset(o, 0, sizeof(*o));
	o->status = (enum fa_status)-42;
	return o;
}

static struct fa_lookup *start_auth(struct outcome *o, const char *person,
				    const char *target, const char *password)
{
	struct fa_lookup_request request = {
		.person = person, .target = target, .password = password,
		.want_trace = true,
	};
	struct fa_lookup *lookup;

	remember_secret(password);
	in_api_call = true;
	lookup = fa_lookup_auth(ctx, &request, outcome_callback, o);
	in_api_call = false;
	return lookup;
}

static struct fa_lookup *start_explain(struct outcome *o, const char *person,
				       const char *target,
				       const char *password)
{
	struct fa_lookup_request request = {
		.person = person, .target = target, .password = password,
		.want_trace = true,
	};
	struct fa_lookup *lookup;

	remember_secret(password);
	in_api_call = true;
	lookup = fa_lookup_explain(ctx, &request, outcome_callback, o);
	in_api_call = false;
	return lookup;
}

static void ck_assert_one_callback(const struct outcome *o)
{
	ck_assert_msg(o->callbacks == 1, "%u callbacks", o->callbacks);
	ck_assert_msg(!o->called_inside, "the callback ran inside the call");
}

/* auth - a whole login: start it, run the loop, one callback */
static struct outcome *auth(const char *person, const char *target,
			    const char *password)
{
	struct outcome *o = outcome_new();

	(void)start_auth(o, person, target, password);
	fake_loop_run(loop);
	ck_assert_one_callback(o);
	return o;
}

static struct outcome *explain(const char *person, const char *target,
			       const char *password)
{
	struct outcome *o = outcome_new();

	(void)start_explain(o, person, target, password);
	fake_loop_run(loop);
	ck_assert_one_callback(o);
	return o;
}

static struct outcome *userdb(const char *target)
{
	struct outcome *o = outcome_new();

	in_api_call = true;
	(void)fa_lookup_target(ctx, target, true, outcome_callback, o);
	in_api_call = false;
	fake_loop_run(loop);
	ck_assert_one_callback(o);
	return o;
}

#define ck_assert_status(o, expected) \
	ck_assert_msg((o)->status == (expected), \
		      "status \"%s\" (%s), expected \"%s\"", \
		      fa_status_name((o)->status), \
		      (o)->reason != NULL ? (o)->reason : "no reason", \
		      fa_status_name(expected))

/* finish - end the context; nothing may be left behind, no operation
   may have gone unscripted, and each had the login's deadline */
static void finish(void)
{
	unsigned int i;

	fa_context_deinit(&ctx);
	ck_assert_uint_eq(fake_directory_live_pools(), 0);
	ck_assert_msg(fake_directory_live_ops() == 0,
		      "%u directory operations left running",
		      fake_directory_live_ops());
	ck_assert_msg(fake_loop_pending(loop) == 0,
		      "%u timeouts left in the loop", fake_loop_pending(loop));
	for (i = 0; i < fake_directory_call_count(); i++) {
		const struct fake_call *call = fake_directory_call(i);

		ck_assert_msg(call->rule != -1, "unscripted %s %s %s",
			      call->kind == FAKE_BIND ? "bind as" : "search",
			      call->base,
			      call->filter != NULL ? call->filter : "");
		ck_assert_msg(call->timeout_msecs > 0 &&
			      call->timeout_msecs <= LDAP_TIMEOUT_SECS * 1000,
			      "operation with timeout %u msecs",
			      call->timeout_msecs);
	}
}

static unsigned int binds(void)
{
	return fake_directory_count(FAKE_BIND, NULL);
}

static unsigned int searches_below(const char *base)
{
	return fake_directory_count(FAKE_SEARCH, base);
}

static const struct fake_call *first_call_below(const char *base)
{
	unsigned int i;

	for (i = 0; i < fake_directory_call_count(); i++) {
		if (strcmp(fake_directory_call(i)->base, base) == 0)
			return fake_directory_call(i);
	}
	ck_abort_msg("nothing asked below %s", base);
	return NULL;
}

/* --- the stories --- */

START_TEST(test_alice_opens_info_as_an_ox_member)
{
	struct fake_rule rules[] = {
		FIND_PERSON("alice@example.com", ONE(alice_entry)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		BIND(ALICE_DN, .password = "secret"),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("alice@example.com", "info@example.com", "secret");
	ck_assert_status(o, FA_GRANTED);
	ck_assert_ptr_null(o->reason);
	ck_assert(o->granted);
	ck_assert(o->password_checked);
	ck_assert_int_eq(o->right, ACL_RIGHT_ALL);
	ck_assert_str_eq(o->person_name, "alice@example.com");
	ck_assert_str_eq(o->person_dn, ALICE_DN);
	ck_assert_str_eq(o->target_name, "info@example.com");
	ck_assert_str_eq(o->target_dn, INFO_DN);
	ck_assert_str_eq(o->quota_mb, "500");
	ck_assert_uint_eq(binds(), 1);
	/* alice herself is listed: her groups cannot change the answer */
	ck_assert_uint_eq(searches_below(GROUPS_BASE), 0);
	finish();
}
END_TEST

START_TEST(test_a_person_dn_in_capitals_is_still_the_member)
{
	struct fake_rule rules[] = {
		FIND_PERSON("alice", ONE(alice_capital_dn_entry)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		BIND("UID=Alice,CN=Users,DC=Example,DC=com"),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("alice", "info@example.com", "secret");
	ck_assert_status(o, FA_GRANTED);
	ck_assert_int_eq(o->right, ACL_RIGHT_ALL);
	finish();
}
END_TEST

START_TEST(test_carol_reads_helpdesk_by_her_acl_value)
{
	struct fake_rule rules[] = {
		FIND_PERSON("carol@example.com", ONE(carol_entry)),
		FIND_TARGET("helpdesk@example.com", ONE(helpdesk_entry)),
		BIND(CAROL_DN, .password = "secret"),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("carol@example.com", "helpdesk@example.com", "secret");
	ck_assert_status(o, FA_GRANTED);
	ck_assert_int_eq(o->right, ACL_RIGHT_READ);
	ck_assert_str_eq(o->quota_mb, "100");
	ck_assert_ptr_nonnull(strstr(o->rule, "carol@example.com"));
	/* her own value decides: no group search */
	ck_assert_uint_eq(searches_below(GROUPS_BASE), 0);
	finish();
}
END_TEST

START_TEST(test_erin_writes_helpdesk_through_a_nested_group)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("helpdesk@example.com", ONE(helpdesk_entry)),
		BIND(ERIN_DN, .password = "secret"),
		ERIN_GROUPS,
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("erin@example.com", "helpdesk@example.com", "secret");
	ck_assert_status(o, FA_GRANTED);
	ck_assert_int_eq(o->right, ACL_RIGHT_WRITE);
	ck_assert_ptr_nonnull(strstr(o->rule, "staff"));
	ck_assert_uint_eq(searches_below(GROUPS_BASE), 3);
	finish();
}
END_TEST

START_TEST(test_erin_opens_info_as_member_through_a_nested_group)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		BIND(ERIN_DN),
		ERIN_GROUPS,
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("erin@example.com", "info@example.com", "secret");
	ck_assert_status(o, FA_GRANTED);
	ck_assert_int_eq(o->right, ACL_RIGHT_ALL);
	finish();
}
END_TEST

START_TEST(test_group_nesting_stops_at_group_nesting_depth)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("helpdesk@example.com", ONE(helpdesk_entry)),
		BIND(ERIN_DN),
		ERIN_GROUPS,
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("group_nesting_depth = 1\n");
	o = auth("erin@example.com", "helpdesk@example.com", "secret");
	/* support read only: staff is one level too deep */
	ck_assert_status(o, FA_GRANTED);
	ck_assert_int_eq(o->right, ACL_RIGHT_READ);
	ck_assert_uint_eq(searches_below(GROUPS_BASE), 1);
	finish();
}
END_TEST

START_TEST(test_a_loop_of_groups_in_groups_ends_the_walk)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("helpdesk@example.com", ONE(helpdesk_entry)),
		BIND(ERIN_DN),
		FIND_GROUPS(ERIN_GROUPS_LEVEL1, ONE(support_group)),
		FIND_GROUPS(ERIN_GROUPS_LEVEL2, ONE(staff_group)),
		/* staff is in support: back to the start */
		FIND_GROUPS(ERIN_GROUPS_LEVEL3, ONE(support_group)),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("group_nesting_depth = 10\n");
	o = auth("erin@example.com", "helpdesk@example.com", "secret");
	ck_assert_status(o, FA_GRANTED);
	ck_assert_int_eq(o->right, ACL_RIGHT_WRITE);
	ck_assert_uint_eq(searches_below(GROUPS_BASE), 3);
	finish();
}
END_TEST

START_TEST(test_memberof_groups_are_named_by_their_first_rdn)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_memberof_entry)),
		FIND_TARGET("helpdesk@example.com", ONE(helpdesk_entry)),
		BIND(ERIN_DN),
		/* the group searches find nothing: support and staff come
		   from memberOf alone */
		FIND_GROUPS(NULL),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("person_memberof_attribute = memberOf\n");
	o = auth("erin@example.com", "helpdesk@example.com", "secret");
	ck_assert_status(o, FA_GRANTED);
	ck_assert_int_eq(o->right, ACL_RIGHT_WRITE);
	finish();
}
END_TEST

START_TEST(test_a_memberof_value_that_is_no_dn_leaves_its_group_unnamed)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_memberof_no_dn_entry)),
		FIND_TARGET("marketing@example.com", ONE(marketing_entry)),
		BIND(ERIN_DN),
		/* the group search finds nothing more */
		FIND_GROUPS(NULL),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("person_memberof_attribute = memberOf\n");
	o = auth("erin@example.com", "marketing@example.com", "secret");
	/* "not a DN" could be marketing: undecidable, never a grant */
	ck_assert_status(o, FA_TEMPFAIL);
	ck_assert(!o->granted);
	finish();
}
END_TEST

START_TEST(test_a_group_without_a_name_makes_the_login_a_temporary_failure)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("marketing@example.com", ONE(marketing_entry)),
		BIND(ERIN_DN),
		FIND_GROUPS(ERIN_GROUPS_LEVEL1, ONE(hidden_group)),
		FIND_GROUPS("(uniqueMember=cn=hidden,"),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("erin@example.com", "marketing@example.com", "secret");
	ck_assert_status(o, FA_TEMPFAIL);
	ck_assert(!o->granted);
	ck_assert_int_eq(o->right, ACL_RIGHT_UNSET);
	finish();
}
END_TEST

START_TEST(test_a_group_with_only_a_tagged_name_is_unnamed)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("marketing@example.com", ONE(marketing_entry)),
		BIND(ERIN_DN),
		FIND_GROUPS(ERIN_GROUPS_LEVEL1, ONE(tagged_cn_group)),
		FIND_GROUPS("(uniqueMember=cn=tagged,"),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("erin@example.com", "marketing@example.com", "secret");
	/* UCS reads the untagged cn: "cn;x-tag: marketing" is no name */
	ck_assert_status(o, FA_TEMPFAIL);
	ck_assert(!o->granted);
	finish();
}
END_TEST

START_TEST(test_groups_are_not_searched_for_everyone_values)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("lobby@example.com", ONE(lobby_entry)),
		BIND(ERIN_DN),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("erin@example.com", "lobby@example.com", "secret");
	ck_assert_status(o, FA_GRANTED);
	ck_assert_int_eq(o->right, ACL_RIGHT_READ);
	ck_assert_uint_eq(searches_below(GROUPS_BASE), 0);
	finish();
}
END_TEST

/* groups_of - count groups group-0 ... in arena, as entries */
static const struct ldap_entry *groups_of(unsigned int count,
					  const char *prefix)
{
	struct ldap_entry *entries = arena_alloc(&arena,
						 sizeof(*entries) * count);
	struct ldap_attr *attrs = arena_alloc(&arena, sizeof(*attrs) * count);
	const char **names = arena_alloc(&arena, sizeof(*names) * count);
	unsigned int i;

	for (i = 0; i < count; i++) {
		names[i] = arena_printf(&arena, "%s-%u", prefix, i);
		attrs[i] = (struct ldap_attr){ "cn", &names[i], 1, 1 };
		entries[i] = (struct ldap_entry){
			arena_printf(&arena, "cn=%s," GROUPS_BASE, names[i]),
			&attrs[i], 1 };
	}
	return entries;
}

START_TEST(test_a_thousand_groups_are_decided_on)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("helpdesk@example.com", ONE(helpdesk_entry)),
		BIND(ERIN_DN),
		FIND_GROUPS(ERIN_GROUPS_LEVEL1, .entries = groups_of(999, "g")),
		FIND_GROUPS("(|(&", ONE(staff_group), .times = 1),
		FIND_GROUPS("(|(&"),
	};
	struct outcome *o;

	rules[3].entry_count = 999;
	SCRIPT(rules);
	start_context("");
	o = auth("erin@example.com", "helpdesk@example.com", "secret");
	ck_assert_status(o, FA_GRANTED);
	ck_assert_int_eq(o->right, ACL_RIGHT_WRITE);
	ck_assert_int_eq(first_call_below(GROUPS_BASE)->size_limit, 1001);
	finish();
}
END_TEST

START_TEST(test_more_groups_than_the_limit_fail_temporarily)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("lobby@example.com", ONE(helpdesk_entry)),
		BIND(ERIN_DN),
		FIND_GROUPS(ERIN_GROUPS_LEVEL1, .entries = groups_of(1500, "g")),
	};
	struct outcome *o;

	rules[3].entry_count = 1500;
	SCRIPT(rules);
	start_context("");
	o = auth("erin@example.com", "lobby@example.com", "secret");
	ck_assert_status(o, FA_TEMPFAIL);
	ck_assert(!o->granted);
	finish();
}
END_TEST

START_TEST(test_more_groups_than_the_limit_across_levels_fail_temporarily)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("lobby@example.com", ONE(helpdesk_entry)),
		BIND(ERIN_DN),
		FIND_GROUPS(ERIN_GROUPS_LEVEL1, .entries = groups_of(600, "a")),
		FIND_GROUPS("(|(&", .entries = groups_of(600, "b")),
	};
	struct outcome *o;

	rules[3].entry_count = 600;
	rules[4].entry_count = 600;
	SCRIPT(rules);
	start_context("");
	o = auth("erin@example.com", "lobby@example.com", "secret");
	ck_assert_status(o, FA_TEMPFAIL);
	ck_assert(!o->granted);
	finish();
}
END_TEST

START_TEST(test_a_malformed_value_naming_her_group_after_an_ignored_one_denies)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("garbled@example.com", ONE(garbled_entry)),
		BIND(ERIN_DN),
		ERIN_GROUPS,
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("erin@example.com", "garbled@example.com", "secret");
	ck_assert_status(o, FA_DENIED);
	finish();
}
END_TEST

static struct outcome *chained_outcome;

/* chain_callback - the first login's result starts the next login, as
   Dovecot's auth layer may start a userdb lookup from a passdb result */
static void chain_callback(const struct fa_result *result, void *context)
{
	outcome_callback(result, context);
	chained_outcome = outcome_new();
	(void)start_auth(chained_outcome, "carol", "helpdesk@example.com",
			 "secret");
}

START_TEST(test_a_callback_may_start_the_next_login)
{
	struct fake_rule rules[] = {
		FIND_PERSON("carol", ONE(carol_entry)),
		FIND_TARGET("helpdesk@example.com", ONE(helpdesk_entry)),
		BIND(CAROL_DN),
	};
	struct fa_lookup_request request = {
		.person = "carol", .target = "helpdesk@example.com",
		.password = "secret",
	};
	struct outcome *first = outcome_new();

	SCRIPT(rules);
	start_context(_i == 0 ? "" : "lookup_cache_ttl = 60\n");
	chained_outcome = NULL;
	in_api_call = true;
	(void)fa_lookup_auth(ctx, &request, chain_callback, first);
	in_api_call = false;
	fake_loop_run(loop);
	ck_assert_one_callback(first);
	ck_assert_status(first, FA_GRANTED);
	ck_assert_ptr_nonnull(chained_outcome);
	ck_assert_one_callback(chained_outcome);
	ck_assert_status(chained_outcome, FA_GRANTED);
	finish();
}
END_TEST

/* --- persons the directory describes oddly --- */

START_TEST(test_several_primary_addresses_deny_without_a_bind)
{
	struct fake_rule rules[] = {
		FIND_PERSON("alice", ONE(alice_two_addresses_entry)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		BIND(ALICE_DN),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("alice", "info@example.com", "secret");
	ck_assert_status(o, FA_DENIED);
	ck_assert_uint_eq(binds(), 0);
	finish();
}
END_TEST

START_TEST(test_a_tagged_address_does_not_count_as_a_second_one)
{
	struct fake_rule rules[] = {
		FIND_PERSON("alice", ONE(alice_tagged_address_entry)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		BIND(ALICE_DN),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("alice", "info@example.com", "secret");
	ck_assert_status(o, FA_GRANTED);
	ck_assert_str_eq(o->person_name, "alice@example.com");
	finish();
}
END_TEST

START_TEST(test_a_person_without_an_address_is_named_by_no_acl_value)
{
	static const struct ldap_entry *const alices[] = {
		&alice_no_address_entry, &alice_empty_address_entry,
		&alice_only_tagged_address_entry, &alice_bare_entry,
	};
	struct fake_rule rules[] = {
		FIND_PERSON("alice@example.com", .entries = alices[_i],
			    .entry_count = 1),
		FIND_TARGET("helpdesk@example.com", ONE(helpdesk_entry)),
		BIND(ALICE_DN),
		FIND_GROUPS(NULL),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	/* helpdesk says "alice@example.com all", but this entry has no
	   address to be named by: the typed login is no address */
	o = auth("alice@example.com", "helpdesk@example.com", "secret");
	ck_assert_status(o, FA_DENIED);
	ck_assert(!o->granted);
	finish();
}
END_TEST

START_TEST(test_a_person_without_attributes_can_still_be_a_member)
{
	struct fake_rule rules[] = {
		FIND_PERSON("alice", ONE(alice_bare_entry)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		BIND(ALICE_DN),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("alice", "info@example.com", "secret");
	ck_assert_status(o, FA_GRANTED);
	/* no name attribute: the login as typed names her */
	ck_assert_str_eq(o->person_name, "alice");
	finish();
}
END_TEST

START_TEST(test_an_expired_person_is_denied_without_a_bind)
{
	static const struct ldap_entry *const erins[] = {
		&erin_expired_entry, &erin_expire_no_number_entry,
		&erin_expired_tagged_entry,
	};
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", .entries = erins[_i],
			    .entry_count = 1),
		FIND_TARGET("lobby@example.com", ONE(lobby_entry)),
		BIND(ERIN_DN),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("erin@example.com", "lobby@example.com", "secret");
	ck_assert_status(o, FA_DENIED);
	ck_assert_ptr_nonnull(strstr(o->reason, "disabled"));
	ck_assert_uint_eq(binds(), 0);
	finish();
}
END_TEST

START_TEST(test_a_person_matching_the_disabled_filter_is_denied_without_a_bind)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("lobby@example.com", ONE(lobby_entry)),
		{ .kind = FAKE_SEARCH, .base = ERIN_DN, .scope = FAKE_SCOPE_BASE,
		  .filter_has = "(disabled=yes)", ONE(erin_entry) },
		BIND(ERIN_DN),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("person_disabled_filter = (disabled=yes)\n");
	o = auth("erin@example.com", "lobby@example.com", "secret");
	ck_assert_status(o, FA_DENIED);
	ck_assert_uint_eq(binds(), 0);
	/* asked of her own entry alone */
	ck_assert_uint_eq(searches_below(ERIN_DN), 1);
	finish();
}
END_TEST

START_TEST(test_a_person_not_matching_the_disabled_filter_goes_on)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("lobby@example.com", ONE(lobby_entry)),
		{ .kind = FAKE_SEARCH, .base = ERIN_DN, .scope = FAKE_SCOPE_BASE,
		  .filter_has = "(disabled=yes)" },
		BIND(ERIN_DN),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("person_disabled_filter = (disabled=yes)\n");
	o = auth("erin@example.com", "lobby@example.com", "secret");
	ck_assert_status(o, FA_GRANTED);
	ck_assert_uint_eq(binds(), 1);
	finish();
}
END_TEST

START_TEST(test_disabled_filter_trouble_is_a_temporary_failure)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("lobby@example.com", ONE(lobby_entry)),
		{ .kind = FAKE_SEARCH, .base = ERIN_DN, .scope = FAKE_SCOPE_BASE,
		  .answer = _i == 0 ? FAKE_ANSWER_TEMPFAIL : FAKE_ANSWER_OK,
		  .when = _i == 0 ? FAKE_AT_ONCE : FAKE_AT_TIMEOUT },
		BIND(ERIN_DN),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("person_disabled_filter = (disabled=yes)\n");
	o = auth("erin@example.com", "lobby@example.com", "secret");
	ck_assert_status(o, FA_TEMPFAIL);
	ck_assert_uint_eq(binds(), 0);
	finish();
}
END_TEST

/* --- targets the directory describes oddly --- */

START_TEST(test_a_target_with_several_names_is_denied)
{
	struct fake_rule rules[] = {
		FIND_PERSON("alice", ONE(alice_entry)),
		FIND_TARGET("info@example.com", ONE(info_two_names_entry)),
		BIND(ALICE_DN),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("alice", "info@example.com", "secret");
	ck_assert_status(o, FA_DENIED);
	finish();
}
END_TEST

START_TEST(test_a_target_with_a_tagged_second_name_is_fine)
{
	struct fake_rule rules[] = {
		FIND_PERSON("alice", ONE(alice_entry)),
		FIND_TARGET("info@example.com", ONE(info_tagged_name_entry)),
		BIND(ALICE_DN),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("alice", "info@example.com", "secret");
	ck_assert_status(o, FA_GRANTED);
	ck_assert_str_eq(o->target_name, "info@example.com");
	finish();
}
END_TEST

/* --- passwords --- */

START_TEST(test_a_null_or_empty_password_never_reaches_the_directory)
{
	struct fake_rule rules[] = {
		FIND_PERSON("alice", ONE(alice_entry)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		BIND(ALICE_DN),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("alice", "info@example.com", _i == 0 ? NULL : "");
	ck_assert_status(o, FA_BAD_PASSWORD);
	ck_assert(!o->granted);
	ck_assert_uint_eq(binds(), 0);
	ck_assert_uint_eq(fake_directory_call_count(), 0);
	finish();
}
END_TEST

START_TEST(test_a_refused_bind_is_a_bad_password)
{
	struct fake_rule rules[] = {
		FIND_PERSON("alice", ONE(alice_entry)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		BIND(ALICE_DN, .password = "secret"),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("alice", "info@example.com", "guess");
	ck_assert_status(o, FA_BAD_PASSWORD);
	ck_assert(!o->granted);
	ck_assert_str_eq(fake_directory_call(2)->password, "guess");
	finish();
}
END_TEST

START_TEST(test_the_password_is_copied_at_the_call)
{
	struct fake_rule rules[] = {
		FIND_PERSON("alice", ONE(alice_entry), AFTER(10)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		BIND(ALICE_DN, .password = "secret"),
	};
	struct outcome *o = outcome_new();
	char password[] = "secret";

	SCRIPT(rules);
	start_context("");
	(void)start_auth(o, "alice", "info@example.com", password);
	memset(password, 'x', strlen(password));
	fake_loop_run(loop);
	ck_assert_one_callback(o);
	ck_assert_status(o, FA_GRANTED);
	finish();
}
END_TEST

START_TEST(test_the_password_is_wiped_once_the_bind_has_answered)
{
	struct fake_rule rules[] = {
		FIND_PERSON("alice", ONE(alice_entry)),
		/* the lookup lives on after the bind, waiting for this */
		FIND_TARGET("info@example.com", ONE(info_entry), AFTER(100)),
		BIND(ALICE_DN, .password = "secret"),
	};
	struct outcome *o = outcome_new();
	const struct fake_call *bind;
	size_t i;

	SCRIPT(rules);
	start_context("");
	(void)start_auth(o, "alice", "info@example.com", "secret");
	fake_loop_run_until(loop, 50);
	ck_assert_uint_eq(o->callbacks, 0);
	ck_assert_uint_eq(binds(), 1);
	bind = fake_directory_call(2);
	ck_assert_int_eq(bind->kind, FAKE_BIND);
	ck_assert_int_eq(bind->state, FAKE_CALL_ANSWERED);
	for (i = 0; i < strlen("secret"); i++)
		ck_assert_msg(bind->given_password[i] == '\0',
			      "the lookup's copy of the password is not wiped");
	fake_loop_run(loop);
	ck_assert_one_callback(o);
	ck_assert_status(o, FA_GRANTED);
	finish();
}
END_TEST

/* --- explain --- */

START_TEST(test_explain_decides_without_a_bind_and_says_so)
{
	struct fake_rule rules[] = {
		FIND_PERSON("alice", ONE(alice_entry)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		BIND(ALICE_DN, REFUSED),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = explain("alice", "info@example.com", _i == 0 ? NULL : "secret");
	ck_assert_status(o, FA_GRANTED);
	ck_assert(!o->password_checked);
	ck_assert_int_eq(o->right, ACL_RIGHT_ALL);
	ck_assert_uint_eq(binds(), 0);
	finish();
}
END_TEST

START_TEST(test_explain_denies_what_a_login_would_be_denied)
{
	struct fake_rule rules[] = {
		FIND_PERSON("carol", ONE(carol_entry)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		FIND_GROUPS(NULL),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = explain("carol", "info@example.com", NULL);
	ck_assert_status(o, FA_DENIED);
	ck_assert(!o->password_checked);
	ck_assert_uint_eq(binds(), 0);
	finish();
}
END_TEST

/* --- send-as (the Postfix policy service) --- */

static struct outcome *send_as(const char *person, const char *sender)
{
	struct outcome *o = outcome_new();

	in_api_call = true;
	(void)fa_lookup_send_as(ctx, person, sender, true, outcome_callback, o);
	in_api_call = false;
	fake_loop_run(loop);
	ck_assert_one_callback(o);
	return o;
}

START_TEST(test_send_as_an_ordinary_address_asks_only_for_the_target)
{
	struct fake_rule rules[] = {
		FIND_TARGET("bob@example.com"),
		FIND_PERSON("alice", ONE(alice_entry)),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = send_as("alice", "bob@example.com");
	ck_assert_status(o, FA_UNKNOWN_TARGET);
	ck_assert_uint_eq(searches_below(PEOPLE), 0);
	ck_assert_uint_eq(binds(), 0);
	finish();
}
END_TEST

/* info+orders@ is info@'s address (Postfix's recipient_delimiter): it is
   decided on as info@, and an ordinary address with an extension costs one
   more search, not a refusal */
START_TEST(test_send_as_an_address_extension_is_the_account)
{
	struct fake_rule rules[] = {
		FIND_TARGET("info+orders@example.com"),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		FIND_TARGET("bob+x@example.com"),
		FIND_TARGET("bob@example.com"),
		FIND_TARGET("+info@example.com"),
		FIND_PERSON("carol", ONE(carol_entry)),
		FIND_GROUPS(NULL),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context(_i == 0 ? "" : "recipient_delimiter =\n");
	o = send_as("carol", "info+orders@example.com");
	if (_i == 0) {
		/* carol is no member of info */
		ck_assert_status(o, FA_DENIED);
		ck_assert_str_eq(o->target_name, "info@example.com");
		ck_assert_uint_eq(searches_below(ACCOUNTS), 2);
	} else {
		ck_assert_status(o, FA_UNKNOWN_TARGET);
		ck_assert_uint_eq(searches_below(ACCOUNTS), 1);
		ck_assert_uint_eq(searches_below(PEOPLE), 0);
	}
	o = send_as("carol", "bob+x@example.com");
	ck_assert_status(o, FA_UNKNOWN_TARGET);
	o = send_as("carol", "+info@example.com");
	ck_assert_status(o, FA_UNKNOWN_TARGET);
	finish();
}
END_TEST

START_TEST(test_send_as_a_member_is_granted_without_a_bind)
{
	struct fake_rule rules[] = {
		FIND_TARGET("info@example.com", ONE(info_entry)),
		FIND_PERSON("alice", ONE(alice_entry)),
		BIND(ALICE_DN),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = send_as("alice", "info@example.com");
	ck_assert_status(o, FA_GRANTED);
	ck_assert(!o->password_checked);
	ck_assert_int_eq(o->right, ACL_RIGHT_ALL);
	ck_assert_str_eq(o->person_name, "alice@example.com");
	ck_assert_str_eq(o->target_name, "info@example.com");
	ck_assert_uint_eq(binds(), 0);
	finish();
}
END_TEST

/* carol reads helpdesk: enough to log in (min_right read), not to send
   as it (send_min_right append), unless send_min_right says read */
START_TEST(test_send_as_needs_send_min_right)
{
	struct fake_rule rules[] = {
		FIND_TARGET("helpdesk@example.com", ONE(helpdesk_entry)),
		FIND_PERSON("carol", ONE(carol_entry)),
		FIND_GROUPS(NULL),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context(_i == 0 ? "" : "send_min_right = read\n");
	o = send_as("carol", "helpdesk@example.com");
	ck_assert_int_eq(o->right, ACL_RIGHT_READ);
	if (_i == 0) {
		ck_assert_status(o, FA_DENIED);
		ck_assert_msg(strstr(o->reason, "below send_min_right append")
			      != NULL, "reason: %s", o->reason);
	} else {
		ck_assert_status(o, FA_GRANTED);
	}
	finish();
}
END_TEST

/* a login for sending mail (smtp_functional_logins = yes) needs both */
START_TEST(test_a_sending_login_needs_min_right_and_send_min_right)
{
	struct fake_rule rules[] = {
		FIND_PERSON("carol", ONE(carol_entry)),
		FIND_TARGET("helpdesk@example.com", ONE(helpdesk_entry)),
		FIND_GROUPS(NULL),
		BIND(CAROL_DN, .password = "secret"),
	};
	struct fa_lookup_request request = {
		.person = "carol", .target = "helpdesk@example.com",
		.password = "secret", .sending = _i == 1, .want_trace = true,
	};
	struct outcome *o = outcome_new();

	SCRIPT(rules);
	start_context("");
	remember_secret("secret");
	in_api_call = true;
	(void)fa_lookup_auth(ctx, &request, outcome_callback, o);
	in_api_call = false;
	fake_loop_run(loop);
	ck_assert_one_callback(o);
	ck_assert_status(o, _i == 1 ? FA_DENIED : FA_GRANTED);
	finish();
}
END_TEST

START_TEST(test_send_as_directory_trouble_is_a_temporary_failure)
{
	struct fake_rule target_down[] = {
		FIND_TARGET("info@example.com", TEMPFAIL),
		FIND_PERSON("alice", ONE(alice_entry)),
	};
	struct fake_rule person_slow[] = {
		FIND_TARGET("info@example.com", ONE(info_entry)),
		FIND_PERSON("alice", AT_TIMEOUT),
	};
	struct outcome *o;

	if (_i == 0)
		SCRIPT(target_down);
	else
		SCRIPT(person_slow);
	start_context("");
	o = send_as("alice", "info@example.com");
	ck_assert_status(o, FA_TEMPFAIL);
	ck_assert(!o->granted);
	if (_i == 0)
		ck_assert_uint_eq(searches_below(PEOPLE), 0);
	finish();
}
END_TEST

START_TEST(test_send_as_an_ambiguous_sender_or_unknown_login_is_refused)
{
	struct fake_rule two_targets[] = {
		FIND_TARGET("helpdesk@example.com", ALL_OF(two_helpdesks)),
		FIND_PERSON("alice", ONE(alice_entry)),
	};
	struct fake_rule nobody[] = {
		FIND_TARGET("info@example.com", ONE(info_entry)),
		FIND_PERSON("mallory"),
	};
	struct outcome *o;

	if (_i == 0) {
		SCRIPT(two_targets);
		start_context("");
		o = send_as("alice", "helpdesk@example.com");
	} else {
		SCRIPT(nobody);
		start_context("");
		o = send_as("mallory", "info@example.com");
	}
	ck_assert_status(o, FA_DENIED);
	ck_assert(!o->granted);
	finish();
}
END_TEST

/* --- plain logins and the userdb --- */

START_TEST(test_a_plain_login_needs_only_the_person_and_the_bind)
{
	struct fake_rule rules[] = {
		FIND_PERSON("carol", ONE(carol_entry)),
		BIND(CAROL_DN, .password = "secret"),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = auth("carol", NULL, _i == 0 ? "secret" : "guess");
	ck_assert_status(o, _i == 0 ? FA_GRANTED : FA_BAD_PASSWORD);
	ck_assert_str_eq(o->person_name, "carol@example.com");
	ck_assert_uint_eq(searches_below(ACCOUNTS), 0);
	finish();
}
END_TEST

START_TEST(test_userdb_finds_the_account_with_its_quota)
{
	struct fake_rule rules[] = {
		FIND_TARGET("info@example.com", ONE(info_entry)),
	};
	struct outcome *o;

	SCRIPT(rules);
	start_context("");
	o = userdb("info@example.com");
	ck_assert_status(o, FA_GRANTED);
	ck_assert_str_eq(o->target_name, "info@example.com");
	ck_assert_str_eq(o->quota_mb, "500");
	ck_assert_uint_eq(binds(), 0);
	finish();
}
END_TEST

START_TEST(test_userdb_tells_unknown_from_trouble)
{
	struct fake_rule rules[] = {
		FIND_TARGET("none@example.com"),
		FIND_TARGET("info@example.com", ALL_OF(two_helpdesks)),
		FIND_TARGET("helpdesk@example.com",
			    ONE(helpdesk_two_names_entry)),
		FIND_TARGET("down@example.com", TEMPFAIL),
		FIND_TARGET("slow@example.com", AT_TIMEOUT),
	};

	SCRIPT(rules);
	start_context("");
	ck_assert_status(userdb("none@example.com"), FA_UNKNOWN_TARGET);
	ck_assert_status(userdb("info@example.com"), FA_UNKNOWN_TARGET);
	ck_assert_status(userdb("helpdesk@example.com"), FA_UNKNOWN_TARGET);
	ck_assert_status(userdb("down@example.com"), FA_TEMPFAIL);
	ck_assert_status(userdb("slow@example.com"), FA_TEMPFAIL);
	finish();
}
END_TEST

/* --- every outcome, in every order ---

   person: found, unknown, ambiguous, expired, several addresses,
   failing, silent; bind: ok, wrong password, refused, failing, silent;
   target: granting, denying, unknown, ambiguous, several names, failing,
   silent; groups: found, failing, silent, failing one level down, too
   many. The expected outcome comes from the precedence in fa-lookup.c,
   written here once more as a model. */

enum p_case { P_OK, P_UNKNOWN, P_AMBIGUOUS, P_EXPIRED, P_SEVERAL_NAMES,
	      P_TEMPFAIL, P_TIMEOUT, P_COUNT };
enum b_case { B_OK, B_WRONG_PASSWORD, B_REFUSED, B_TEMPFAIL, B_TIMEOUT,
	      B_COUNT };
enum t_case { T_GRANTS, T_DENIES, T_UNKNOWN, T_AMBIGUOUS, T_SEVERAL_NAMES,
	      T_TEMPFAIL, T_TIMEOUT, T_COUNT };
enum g_case { G_OK, G_TEMPFAIL, G_TIMEOUT, G_NESTED_TEMPFAIL, G_TOO_MANY,
	      G_COUNT };

static const char *const p_names[] = { "found", "unknown", "ambiguous",
	"expired", "several addresses", "failing", "silent" };
static const char *const b_names[] = { "ok", "wrong password", "refused",
	"failing", "silent" };
static const char *const t_names[] = { "granting", "denying", "unknown",
	"ambiguous", "several names", "failing", "silent" };
static const char *const g_names[] = { "found", "failing", "silent",
	"failing one level down", "too many" };

/* orders: who answers first (virtual msecs of each answer) */
static const struct {
	const char *name;
	unsigned int person, target, bind, groups;
} orders[] = {
	{ "person first", 0, 20, 5, 5 },
	{ "target first", 20, 0, 5, 5 },
	{ "bind last", 0, 0, 100, 5 },
	{ "groups last", 0, 5, 0, 100 },
};
#define ORDER_COUNT (sizeof(orders) / sizeof(orders[0]))

static enum fa_status expected_status(bool explain_mode, enum p_case p,
				      enum b_case b, enum t_case t,
				      enum g_case g)
{
	bool target_ok = t == T_GRANTS || t == T_DENIES;

	if (explain_mode)
		b = B_OK;
	if (p == P_TEMPFAIL || p == P_TIMEOUT)
		return FA_TEMPFAIL;
	if (p != P_OK)
		return FA_DENIED;
	if (b == B_WRONG_PASSWORD || b == B_REFUSED)
		return FA_BAD_PASSWORD;
	if (b == B_TEMPFAIL || b == B_TIMEOUT || t == T_TEMPFAIL ||
	    t == T_TIMEOUT || (target_ok && g != G_OK))
		return FA_TEMPFAIL;
	if (!target_ok)
		return FA_DENIED;
	return t == T_GRANTS ? FA_GRANTED : FA_DENIED;
}

static void script_rule_when(struct fake_rule *rule, bool silent,
			     unsigned int msecs)
{
	if (silent) {
		rule->when = FAKE_AT_TIMEOUT;
	} else if (msecs > 0) {
		rule->when = FAKE_AFTER;
		rule->after_msecs = msecs;
	}
}

START_TEST(test_every_outcome_follows_the_precedence_in_every_order)
{
	bool explain_mode = _i % 2 == 1;
	unsigned int order = (unsigned int)_i / 2;
	const struct ldap_entry *too_many = groups_of(1001, "many");
	struct fake_rule rules[8];
	unsigned int p, b, t, g, n, combos = 0;

	for (p = 0; p < P_COUNT; p++)
	for (b = 0; b < B_COUNT; b++)
	for (t = 0; t < T_COUNT; t++)
	for (g = 0; g < G_COUNT; g++) {
		enum fa_status expected =
			expected_status(explain_mode, p, b, t, g);
		bool person_ok = p == P_OK;
		bool target_ok = t == T_GRANTS || t == T_DENIES;
		struct outcome *o;
		const char *story;

		story = arena_printf(&arena, "%s, %s: person %s, bind %s, "
			"target %s, groups %s",
			explain_mode ? "explain" : "login", orders[order].name,
			p_names[p], b_names[b], t_names[t], g_names[g]);
		memset(rules, 0, sizeof(rules));
		n = 0;

		rules[n] = (struct fake_rule)FIND_PERSON("erin@example.com");
		switch (p) {
		case P_OK: rules[n].entries = &erin_entry; break;
		case P_UNKNOWN: break;
		case P_AMBIGUOUS: rules[n].entries = two_erins; break;
		case P_EXPIRED: rules[n].entries = &erin_expired_entry; break;
		case P_SEVERAL_NAMES:
			rules[n].entries = &erin_two_addresses_entry; break;
		case P_TEMPFAIL: rules[n].answer = FAKE_ANSWER_TEMPFAIL; break;
		}
		rules[n].entry_count = p == P_AMBIGUOUS ? 2 :
			rules[n].entries != NULL ? 1 : 0;
		script_rule_when(&rules[n++], p == P_TIMEOUT,
				 orders[order].person);

		rules[n] = (struct fake_rule)FIND_TARGET("helpdesk@example.com");
		switch (t) {
		case T_GRANTS: rules[n].entries = &helpdesk_entry; break;
		case T_DENIES: rules[n].entries = &closed_entry; break;
		case T_UNKNOWN: break;
		case T_AMBIGUOUS: rules[n].entries = two_helpdesks; break;
		case T_SEVERAL_NAMES:
			rules[n].entries = &helpdesk_two_names_entry; break;
		case T_TEMPFAIL: rules[n].answer = FAKE_ANSWER_TEMPFAIL; break;
		}
		rules[n].entry_count = t == T_AMBIGUOUS ? 2 :
			rules[n].entries != NULL ? 1 : 0;
		script_rule_when(&rules[n++], t == T_TIMEOUT,
				 orders[order].target);

		rules[n] = (struct fake_rule)BIND(ERIN_DN, .password = "secret");
		if (b == B_REFUSED)
			rules[n].answer = FAKE_ANSWER_REFUSED;
		else if (b == B_TEMPFAIL)
			rules[n].answer = FAKE_ANSWER_TEMPFAIL;
		script_rule_when(&rules[n++], b == B_TIMEOUT,
				 orders[order].bind);

		rules[n] = (struct fake_rule)FIND_GROUPS(ERIN_GROUPS_LEVEL1,
							 ONE(support_group));
		if (g == G_TEMPFAIL)
			rules[n].answer = FAKE_ANSWER_TEMPFAIL;
		if (g == G_TOO_MANY) {
			rules[n].entries = too_many;
			rules[n].entry_count = 1001;
		}
		script_rule_when(&rules[n++], g == G_TIMEOUT,
				 orders[order].groups);
		rules[n] = (struct fake_rule)FIND_GROUPS(ERIN_GROUPS_LEVEL2,
							 ONE(staff_group));
		if (g == G_NESTED_TEMPFAIL)
			rules[n].answer = FAKE_ANSWER_TEMPFAIL;
		script_rule_when(&rules[n++], false, orders[order].groups);
		rules[n++] = (struct fake_rule)FIND_GROUPS(ERIN_GROUPS_LEVEL3);
		/* the next levels of the 1001 groups (never reached) */
		rules[n++] = (struct fake_rule)FIND_GROUPS("(|(&");

		fake_directory_script(rules, n);
		start_context("");
		o = outcome_new();
		if (explain_mode)
			(void)start_explain(o, "erin@example.com",
					    "helpdesk@example.com", NULL);
		else
			(void)start_auth(o, "erin@example.com",
					 "helpdesk@example.com",
					 b == B_WRONG_PASSWORD ? "guess" :
					 "secret");
		fake_loop_run(loop);

		ck_assert_msg(o->callbacks == 1 && !o->called_inside,
			      "%s: %u callbacks%s", story, o->callbacks,
			      o->called_inside ? ", inside the call" : "");
		ck_assert_msg(o->status == expected,
			      "%s: \"%s\" (%s), expected \"%s\"", story,
			      fa_status_name(o->status),
			      o->reason != NULL ? o->reason : "no reason",
			      fa_status_name(expected));
		ck_assert_msg(o->status != FA_GRANTED ||
			      (o->granted && o->right == ACL_RIGHT_WRITE),
			      "%s: granted with right %s", story,
			      acl_right_name(o->right));
		ck_assert_msg(o->status == FA_GRANTED || o->reason != NULL,
			      "%s: not granted, and no reason", story);
		ck_assert_msg(binds() == (!explain_mode && person_ok ? 1u : 0u),
			      "%s: %u binds", story, binds());
		ck_assert_msg((person_ok && target_ok) ||
			      searches_below(GROUPS_BASE) == 0,
			      "%s: groups searched for nothing", story);
		ck_assert_msg(o->password_checked == !explain_mode,
			      "%s: password_checked wrong", story);
		finish();
		fa_settings_free(&set);
		combos++;
	}
	ck_assert_uint_eq(combos, P_COUNT * B_COUNT * T_COUNT * G_COUNT);
}
END_TEST

/* --- the end of a lookup --- */

START_TEST(test_deinit_ends_every_lookup_in_flight_once_with_a_temporary_failure)
{
	struct fake_rule rules[] = {
		/* 1: person never answers */
		FIND_PERSON("dave", AT_TIMEOUT),
		/* 2: bind never answers */
		FIND_PERSON("carol", ONE(carol_entry)),
		FIND_TARGET("helpdesk@example.com", ONE(helpdesk_entry)),
		BIND(CAROL_DN, AT_TIMEOUT),
		/* 3: groups never answer */
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		BIND(ERIN_DN),
		FIND_GROUPS(ERIN_GROUPS_LEVEL1, AT_TIMEOUT),
		/* 4: all cached, waiting on the kick */
		FIND_PERSON("alice", ONE(alice_entry)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		BIND(ALICE_DN),
	};
	struct outcome *o[6];
	unsigned int i;

	SCRIPT(rules);
	start_context("lookup_cache_ttl = 60\n");
	for (i = 0; i < 6; i++)
		o[i] = outcome_new();
	/* alice's first login fills the cache */
	(void)start_auth(o[0], "alice", "info@example.com", "secret");
	fake_loop_run(loop);
	ck_assert_status(o[0], FA_GRANTED);

	(void)start_auth(o[1], "dave", "helpdesk@example.com", "secret");
	(void)start_auth(o[2], "carol", "helpdesk@example.com", "secret");
	(void)start_auth(o[3], "erin@example.com", "helpdesk@example.com",
			 "secret");
	fake_loop_run_until(loop, 100);
	/* started without running the loop: waiting on the kick */
	(void)start_auth(o[4], "alice", "info@example.com", "secret");
	(void)start_auth(o[5], "alice", "info@example.com", "");
	for (i = 1; i < 6; i++)
		ck_assert_uint_eq(o[i]->callbacks, 0);

	fa_context_deinit(&ctx);
	for (i = 1; i < 6; i++) {
		ck_assert_msg(o[i]->callbacks == 1, "lookup %u: %u callbacks",
			      i, o[i]->callbacks);
		ck_assert_msg(o[i]->status == FA_TEMPFAIL,
			      "lookup %u: %s", i, fa_status_name(o[i]->status));
		ck_assert_msg(o[i]->reason != NULL &&
			      strstr(o[i]->reason, "shutting down") != NULL,
			      "lookup %u: reason %s", i, o[i]->reason);
	}
	fake_loop_run(loop);
	for (i = 0; i < 6; i++)
		ck_assert_uint_eq(o[i]->callbacks, 1);
	finish();
}
END_TEST

START_TEST(test_abort_ends_a_lookup_without_its_callback)
{
	struct fake_rule rules[] = {
		FIND_PERSON("alice", ONE(alice_entry)),
		FIND_TARGET("info@example.com", ONE(info_entry), AFTER(50)),
		BIND(ALICE_DN, AFTER(50)),
	};
	struct outcome *running = outcome_new(), *kicked = outcome_new();
	struct fa_lookup *lookup;

	SCRIPT(rules);
	start_context("");
	lookup = start_auth(running, "alice", "info@example.com", "secret");
	fake_loop_run_until(loop, 10);
	ck_assert_uint_eq(fake_directory_live_ops(), 2);
	fa_lookup_abort(&lookup);
	ck_assert_ptr_null(lookup);
	ck_assert_uint_eq(fake_directory_live_ops(), 0);

	lookup = start_auth(kicked, "alice", "info@example.com", NULL);
	fa_lookup_abort(&lookup);
	fake_loop_run(loop);
	ck_assert_uint_eq(running->callbacks, 0);
	ck_assert_uint_eq(kicked->callbacks, 0);
	ck_assert_uint_eq(fake_loop_pending(loop), 0);
	finish();
}
END_TEST

/* --- the lookup cache --- */

static void ck_assert_same_outcome(const struct outcome *a,
				   const struct outcome *b, const char *story)
{
#define SAME_STR(x, y) ((x) == NULL ? (y) == NULL : \
			(y) != NULL && strcmp(x, y) == 0)
	ck_assert_msg(a->status == b->status, "%s: %s, then %s", story,
		      fa_status_name(a->status), fa_status_name(b->status));
	ck_assert_msg(a->right == b->right, "%s: right %s, then %s", story,
		      acl_right_name(a->right), acl_right_name(b->right));
	ck_assert_msg(a->granted == b->granted &&
		      a->incomplete == b->incomplete, "%s: decision", story);
	ck_assert_msg(SAME_STR(a->rule, b->rule), "%s: rule %s, then %s",
		      story, a->rule, b->rule);
	ck_assert_msg(SAME_STR(a->reason, b->reason),
		      "%s: reason %s, then %s", story, a->reason, b->reason);
	ck_assert_msg(SAME_STR(a->person_name, b->person_name) &&
		      SAME_STR(a->person_dn, b->person_dn) &&
		      SAME_STR(a->target_name, b->target_name) &&
		      SAME_STR(a->target_dn, b->target_dn) &&
		      SAME_STR(a->quota_mb, b->quota_mb),
		      "%s: names or quota differ", story);
#undef SAME_STR
}

START_TEST(test_a_second_login_from_the_cache_gets_the_same_answer)
{
	static const struct {
		const char *person, *target;
	} logins[] = {
		{ "alice", "info@example.com" },
		{ "carol@example.com", "helpdesk@example.com" },
		{ "erin@example.com", "helpdesk@example.com" },
		{ "erin@example.com", "marketing@example.com" },
	};
	struct fake_rule rules[] = {
		FIND_PERSON("alice", ONE(alice_entry)),
		FIND_PERSON("carol@example.com", ONE(carol_entry)),
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		FIND_TARGET("helpdesk@example.com", ONE(helpdesk_entry)),
		FIND_TARGET("marketing@example.com", ONE(marketing_entry)),
		ERIN_GROUPS,
		BIND(NULL),
	};
	const char *story = logins[_i].person;
	struct outcome *first, *second;
	unsigned int calls;

	SCRIPT(rules);
	start_context("lookup_cache_ttl = 60\n");
	first = auth(logins[_i].person, logins[_i].target, "secret");
	calls = fake_directory_call_count();
	second = auth(logins[_i].person, logins[_i].target, "secret");
	ck_assert_same_outcome(first, second, story);
	/* only the bind is asked again */
	ck_assert_uint_eq(fake_directory_call_count(), calls + 1);
	ck_assert_int_eq(fake_directory_call(calls)->kind, FAKE_BIND);
	finish();
}
END_TEST

START_TEST(test_the_cache_never_keeps_a_bind)
{
	struct fake_rule rules[] = {
		FIND_PERSON("alice", ONE(alice_entry)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		BIND(ALICE_DN, .password = "secret"),
	};

	SCRIPT(rules);
	start_context("lookup_cache_ttl = 60\n");
	ck_assert_status(auth("alice", "info@example.com", "secret"),
			 FA_GRANTED);
	ck_assert_status(auth("alice", "info@example.com", "guess-Pa55"),
			 FA_BAD_PASSWORD);
	ck_assert_status(auth("alice", "info@example.com", ""),
			 FA_BAD_PASSWORD);
	ck_assert_uint_eq(binds(), 2);
	finish();
}
END_TEST

/* the groups erin is in must not depend on which target looked them up
   first: the OX account (member list) or the shared folder (ACL) */
START_TEST(test_group_lists_do_not_depend_on_which_target_asked_first)
{
	static const char *const targets[] = {
		"info@example.com", "helpdesk@example.com",
	};
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		FIND_TARGET("helpdesk@example.com", ONE(helpdesk_entry)),
		BIND(ERIN_DN),
		ERIN_GROUPS,
	};
	struct outcome *uncached[2], *cached[2];
	unsigned int first = (unsigned int)_i, second = 1 - first, i;

	/* the answers without a cache */
	SCRIPT(rules);
	start_context("");
	for (i = 0; i < 2; i++)
		uncached[i] = auth("erin@example.com", targets[i], "secret");
	ck_assert_status(uncached[0], FA_GRANTED);
	ck_assert_int_eq(uncached[0]->right, ACL_RIGHT_ALL);
	ck_assert_status(uncached[1], FA_GRANTED);
	ck_assert_int_eq(uncached[1]->right, ACL_RIGHT_WRITE);
	finish();
	fa_settings_free(&set);

	SCRIPT(rules);
	start_context("lookup_cache_ttl = 60\n");
	cached[first] = auth("erin@example.com", targets[first], "secret");
	cached[second] = auth("erin@example.com", targets[second], "secret");
	/* the second target took erin's groups from the cache */
	ck_assert_uint_eq(searches_below(GROUPS_BASE), 3);
	for (i = 0; i < 2; i++)
		ck_assert_same_outcome(uncached[i], cached[i], targets[i]);
	finish();
}
END_TEST

START_TEST(test_an_unnamed_group_stays_unnamed_from_the_cache)
{
	struct fake_rule rules[] = {
		FIND_PERSON("erin@example.com", ONE(erin_entry)),
		FIND_TARGET("lobby@example.com", ONE(helpdesk_entry)),
		FIND_TARGET("marketing@example.com", ONE(marketing_entry)),
		BIND(ERIN_DN),
		FIND_GROUPS(ERIN_GROUPS_LEVEL1, ONE(hidden_group)),
		FIND_GROUPS("(uniqueMember=cn=hidden,"),
	};

	SCRIPT(rules);
	start_context("lookup_cache_ttl = 60\n");
	/* helpdesk names support and staff: the hidden group could be
	   either, so neither login may be decided */
	ck_assert_status(auth("erin@example.com", "lobby@example.com",
			      "secret"), FA_TEMPFAIL);
	ck_assert_status(auth("erin@example.com", "marketing@example.com",
			      "secret"), FA_TEMPFAIL);
	ck_assert_status(auth("erin@example.com", "marketing@example.com",
			      "secret"), FA_TEMPFAIL);
	ck_assert_uint_eq(searches_below(GROUPS_BASE), 2);
	finish();
}
END_TEST

/* --- time --- */

START_TEST(test_one_deadline_covers_the_whole_login)
{
	struct fake_rule rules[] = {
		FIND_PERSON("alice", ONE(alice_entry), AFTER(3000)),
		FIND_TARGET("info@example.com", ONE(info_entry)),
		BIND(ALICE_DN, AT_TIMEOUT),
	};
	struct outcome *o;
	const struct fake_call *bind;

	SCRIPT(rules);
	start_context("");
	o = auth("alice", "info@example.com", "secret");
	ck_assert_status(o, FA_TEMPFAIL);
	bind = fake_directory_call(2);
	ck_assert_int_eq(bind->kind, FAKE_BIND);
	/* what is left of ldap_timeout, not a new ldap_timeout */
	ck_assert_msg(bind->timeout_msecs <= LDAP_TIMEOUT_SECS * 1000 - 3000,
		      "the bind got %u msecs after 3000 of %u were spent",
		      bind->timeout_msecs, LDAP_TIMEOUT_SECS * 1000);
	ck_assert_msg(fake_loop_now(loop) <= LDAP_TIMEOUT_SECS * 1000,
		      "the login ended at %llu msecs", fake_loop_now(loop));
	finish();
}
END_TEST

START_TEST(test_a_revoked_grant_lives_no_longer_than_the_cache_ttl)
{
	struct fake_rule rules[] = {
		FIND_PERSON("carol", ONE(carol_entry)),
		/* carol reads helpdesk, until an admin takes it away */
		FIND_TARGET("helpdesk@example.com", ONE(helpdesk_entry),
			    .times = 1),
		FIND_TARGET("helpdesk@example.com", ONE(marketing_entry)),
		BIND(CAROL_DN),
		FIND_GROUPS(NULL),
	};

	SCRIPT(rules);
	start_context("lookup_cache_ttl = 5\n");
	ck_assert_status(auth("carol", "helpdesk@example.com", "secret"),
			 FA_GRANTED);
	fake_loop_run_until(loop, fake_loop_now(loop) + 4000);
	ck_assert_status(auth("carol", "helpdesk@example.com", "secret"),
			 FA_GRANTED);
	ck_assert_uint_eq(searches_below(ACCOUNTS), 1);
	fake_loop_run_until(loop, fake_loop_now(loop) + 1001);
	ck_assert_status(auth("carol", "helpdesk@example.com", "secret"),
			 FA_DENIED);
	ck_assert_uint_eq(searches_below(ACCOUNTS), 2);
	finish();
}
END_TEST

static Suite *lookup_suite(void)
{
	Suite *s = suite_create("lookup");
	TCase *tc;

	tc = tcase_create("stories");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_alice_opens_info_as_an_ox_member);
	tcase_add_test(tc, test_a_person_dn_in_capitals_is_still_the_member);
	tcase_add_test(tc, test_carol_reads_helpdesk_by_her_acl_value);
	tcase_add_test(tc, test_erin_writes_helpdesk_through_a_nested_group);
	tcase_add_test(tc, test_erin_opens_info_as_member_through_a_nested_group);
	tcase_add_test(tc, test_group_nesting_stops_at_group_nesting_depth);
	tcase_add_test(tc, test_a_loop_of_groups_in_groups_ends_the_walk);
	tcase_add_test(tc, test_memberof_groups_are_named_by_their_first_rdn);
	tcase_add_test(tc, test_a_memberof_value_that_is_no_dn_leaves_its_group_unnamed);
	tcase_add_test(tc, test_a_group_without_a_name_makes_the_login_a_temporary_failure);
	tcase_add_test(tc, test_a_group_with_only_a_tagged_name_is_unnamed);
	tcase_add_test(tc, test_groups_are_not_searched_for_everyone_values);
	tcase_add_test(tc, test_a_thousand_groups_are_decided_on);
	tcase_add_test(tc, test_more_groups_than_the_limit_fail_temporarily);
	tcase_add_test(tc, test_more_groups_than_the_limit_across_levels_fail_temporarily);
	tcase_add_test(tc, test_a_malformed_value_naming_her_group_after_an_ignored_one_denies);
	tcase_add_loop_test(tc, test_a_callback_may_start_the_next_login, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("odd-entries");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_several_primary_addresses_deny_without_a_bind);
	tcase_add_test(tc, test_a_tagged_address_does_not_count_as_a_second_one);
	tcase_add_loop_test(tc, test_a_person_without_an_address_is_named_by_no_acl_value, 0, 4);
	tcase_add_test(tc, test_a_person_without_attributes_can_still_be_a_member);
	tcase_add_loop_test(tc, test_an_expired_person_is_denied_without_a_bind, 0, 3);
	tcase_add_test(tc, test_a_person_matching_the_disabled_filter_is_denied_without_a_bind);
	tcase_add_test(tc, test_a_person_not_matching_the_disabled_filter_goes_on);
	tcase_add_loop_test(tc, test_disabled_filter_trouble_is_a_temporary_failure, 0, 2);
	tcase_add_test(tc, test_a_target_with_several_names_is_denied);
	tcase_add_test(tc, test_a_target_with_a_tagged_second_name_is_fine);
	suite_add_tcase(s, tc);

	tc = tcase_create("passwords");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_a_null_or_empty_password_never_reaches_the_directory, 0, 2);
	tcase_add_test(tc, test_a_refused_bind_is_a_bad_password);
	tcase_add_test(tc, test_the_password_is_copied_at_the_call);
	tcase_add_test(tc, test_the_password_is_wiped_once_the_bind_has_answered);
	tcase_add_loop_test(tc, test_explain_decides_without_a_bind_and_says_so, 0, 2);
	tcase_add_test(tc, test_explain_denies_what_a_login_would_be_denied);
	tcase_add_loop_test(tc, test_a_plain_login_needs_only_the_person_and_the_bind, 0, 2);
	tcase_add_test(tc, test_userdb_finds_the_account_with_its_quota);
	tcase_add_test(tc, test_userdb_tells_unknown_from_trouble);
	suite_add_tcase(s, tc);

	tc = tcase_create("send-as");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_send_as_an_ordinary_address_asks_only_for_the_target);
	tcase_add_test(tc, test_send_as_a_member_is_granted_without_a_bind);
	tcase_add_loop_test(tc, test_send_as_an_address_extension_is_the_account, 0, 2);
	tcase_add_loop_test(tc, test_send_as_needs_send_min_right, 0, 2);
	tcase_add_loop_test(tc, test_a_sending_login_needs_min_right_and_send_min_right, 0, 2);
	tcase_add_loop_test(tc, test_send_as_directory_trouble_is_a_temporary_failure, 0, 2);
	tcase_add_loop_test(tc, test_send_as_an_ambiguous_sender_or_unknown_login_is_refused, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("precedence");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_every_outcome_follows_the_precedence_in_every_order,
			    0, 2 * (int)ORDER_COUNT);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle-and-cache");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_deinit_ends_every_lookup_in_flight_once_with_a_temporary_failure);
	tcase_add_test(tc, test_abort_ends_a_lookup_without_its_callback);
	tcase_add_loop_test(tc, test_a_second_login_from_the_cache_gets_the_same_answer, 0, 4);
	tcase_add_test(tc, test_the_cache_never_keeps_a_bind);
	tcase_add_loop_test(tc, test_group_lists_do_not_depend_on_which_target_asked_first, 0, 2);
	tcase_add_test(tc, test_an_unnamed_group_stays_unnamed_from_the_cache);
	tcase_add_test(tc, test_one_deadline_covers_the_whole_login);
	tcase_add_test(tc, test_a_revoked_grant_lives_no_longer_than_the_cache_ttl);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lookup_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
