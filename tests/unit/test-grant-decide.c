/* test-grant-decide - who may open which functional account, with which
   right (SPEC "The decision", "Directory model"): membership is full
   access; an ACL value naming the person decides alone; otherwise the
   strongest group value; below min_right, unparsable or unmatched: deny. */

#include "grant-decide.h"
#include "arena.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define LIST(...) (const char *const[]){ __VA_ARGS__ }, \
	(unsigned int)(sizeof((const char *const[]){ __VA_ARGS__ }) / \
		       sizeof(const char *))
#define NONE_LISTED NULL, 0

#define SUPPORT_DN "cn=support,cn=groups,dc=example,dc=com"
#define DOMAIN_USERS_DN "cn=Domain Users,cn=groups,dc=example,dc=com"

/* --- the people --- */

/* alice is named as a member of info */
static const struct grant_person alice = {
	.dn = "uid=alice,cn=users,dc=example,dc=com",
	.name = "alice@example.com", .uid = "alice",
};
/* bob is in Domain Users, and some folders shut him out by name */
static const struct grant_person bob = {
	.dn = "uid=bob,cn=users,dc=example,dc=com",
	.name = "bob@example.com", .uid = "bob",
	.group_names = (const char *const[]){ "Domain Users" },
	.group_name_count = 1,
	.group_dns = (const char *const[]){ DOMAIN_USERS_DN },
	.group_dn_count = 1,
};
/* carol reads helpdesk, named by her address */
static const struct grant_person carol = {
	.dn = "uid=carol,cn=users,dc=example,dc=com",
	.name = "carol@example.com", .uid = "carol",
};
/* dave writes, but some sites ask for more */
static const struct grant_person dave = {
	.dn = "uid=dave,cn=users,dc=example,dc=com",
	.name = "dave@example.com", .uid = "dave",
};
/* erin gets her rights from her groups: support and Domain Users */
static const struct grant_person erin = {
	.dn = "uid=erin,cn=users,dc=example,dc=com",
	.name = "erin@example.com", .uid = "erin",
	.group_names = (const char *const[]){ "support", "Domain Users" },
	.group_name_count = 2,
	.group_dns = (const char *const[]){ SUPPORT_DN, DOMAIN_USERS_DN },
	.group_dn_count = 2,
};
/* frank is in support, but a folder names him with less */
static const struct grant_person frank = {
	.dn = "uid=frank,cn=users,dc=example,dc=com",
	.name = "frank@example.com", .uid = "frank",
	.group_names = (const char *const[]){ "support" },
	.group_name_count = 1,
	.group_dns = (const char *const[]){ SUPPORT_DN },
	.group_dn_count = 1,
};
/* gina has no uid in the directory, only an address */
static const struct grant_person gina = {
	.dn = "uid=gina,cn=users,dc=example,dc=com",
	.name = "gina@example.com", .uid = NULL,
};

static const struct grant_rules ucs_rules = {
	.member_attribute = "uniqueMember",
	.acl_attribute = "univentionMailACL",
	.min_right = ACL_RIGHT_READ,
};
static const struct grant_rules strict_rules = {
	.member_attribute = "uniqueMember",
	.acl_attribute = "univentionMailACL",
	.min_right = ACL_RIGHT_ALL,
};
static const struct grant_rules acl_off_empty = {
	.member_attribute = "uniqueMember", .acl_attribute = "",
	.min_right = ACL_RIGHT_READ,
};
static const struct grant_rules acl_off_null = {
	.member_attribute = "uniqueMember", .acl_attribute = NULL,
	.min_right = ACL_RIGHT_READ,
};
static const struct grant_rules members_off_empty = {
	.member_attribute = "", .acl_attribute = "univentionMailACL",
	.min_right = ACL_RIGHT_READ,
};
static const struct grant_rules members_off_null = {
	.member_attribute = NULL, .acl_attribute = "univentionMailACL",
	.min_right = ACL_RIGHT_READ,
};

struct grant_case {
	const char *story;
	const struct grant_person *person;
	const char *const *members;
	unsigned int member_count;
	const char *const *acl_values;
	unsigned int acl_value_count;
	const struct grant_rules *rules;

	bool granted;
	enum acl_right right;
	/* substrings of decision.rule / decision.reason; NULL: not checked */
	const char *rule_has;
	const char *reason_has;
	/* how many values must be reported as ignored, and one of them */
	unsigned int ignored;
	const char *ignored_has;
};

static const struct grant_case cases[] = {
	/* membership */
	{ "alice is an OX member of info",
	  &alice, LIST("uid=alice,cn=users,dc=example,dc=com"), NONE_LISTED,
	  &ucs_rules, true, ACL_RIGHT_ALL, "uniqueMember", NULL, 0, NULL },
	{ "alice's DN matches whatever its case",
	  &alice, LIST("UID=Alice,CN=Users,DC=Example,DC=com"), NONE_LISTED,
	  &ucs_rules, true, ACL_RIGHT_ALL, "uniqueMember", NULL, 0, NULL },
	{ "bob is not a member of info",
	  &bob, LIST("uid=alice,cn=users,dc=example,dc=com"), NONE_LISTED,
	  &ucs_rules, false, ACL_RIGHT_UNSET, NULL, "no rule", 0, NULL },
	{ "a member list naming erin's group lets her in",
	  &erin, LIST("uid=alice,cn=users,dc=example,dc=com", SUPPORT_DN),
	  NONE_LISTED, &ucs_rules, true, ACL_RIGHT_ALL, "uniqueMember",
	  NULL, 0, NULL },
	{ "a member DN that only starts like alice's is not alice",
	  &alice, LIST("uid=alice,cn=users,dc=example,dc=com,o=other"),
	  NONE_LISTED, &ucs_rules, false, ACL_RIGHT_UNSET, NULL, "no rule",
	  0, NULL },
	{ "membership is all, even where min_right is all",
	  &alice, LIST("uid=alice,cn=users,dc=example,dc=com"), NONE_LISTED,
	  &strict_rules, true, ACL_RIGHT_ALL, "uniqueMember", NULL, 0, NULL },
	{ "member_attribute \"\" ignores the member list",
	  &alice, LIST("uid=alice,cn=users,dc=example,dc=com"), NONE_LISTED,
	  &members_off_empty, false, ACL_RIGHT_UNSET, NULL, NULL, 0, NULL },
	{ "member_attribute NULL ignores the member list",
	  &alice, LIST("uid=alice,cn=users,dc=example,dc=com"), NONE_LISTED,
	  &members_off_null, false, ACL_RIGHT_UNSET, NULL, NULL, 0, NULL },

	/* an ACL value naming the person */
	{ "carol reads helpdesk, named by address",
	  &carol, NONE_LISTED, LIST("carol@example.com read"),
	  &ucs_rules, true, ACL_RIGHT_READ, "carol@example.com", NULL,
	  0, NULL },
	{ "carol is also found by uid",
	  &carol, NONE_LISTED, LIST("carol read"),
	  &ucs_rules, true, ACL_RIGHT_READ, "univentionMailACL", NULL,
	  0, NULL },
	{ "carol's address matches whatever its case",
	  &carol, NONE_LISTED, LIST("Carol@Example.COM read"),
	  &ucs_rules, true, ACL_RIGHT_READ, NULL, NULL, 0, NULL },
	{ "gina without a uid is still found by address",
	  &gina, NONE_LISTED, LIST("gina@example.com post"),
	  &ucs_rules, true, ACL_RIGHT_POST, "gina@example.com", NULL,
	  0, NULL },
	{ "a value for someone else gives carol nothing",
	  &carol, NONE_LISTED,
	  LIST("alice@example.com write", "carol@example.com.evil all",
	       "caro read"),
	  &ucs_rules, false, ACL_RIGHT_UNSET, NULL, "no rule", 0, NULL },
	{ "carol's read is below a min_right of all",
	  &carol, NONE_LISTED, LIST("carol@example.com read"),
	  &strict_rules, false, ACL_RIGHT_READ, "carol@example.com",
	  "min_right", 0, NULL },
	{ "dave writes, but min_right all denies him",
	  &dave, NONE_LISTED, LIST("dave write"),
	  &strict_rules, false, ACL_RIGHT_WRITE, "dave", "below", 0, NULL },
	{ "acl_attribute \"\" ignores carol's value",
	  &carol, NONE_LISTED, LIST("carol@example.com read"),
	  &acl_off_empty, false, ACL_RIGHT_UNSET, NULL, NULL, 0, NULL },
	{ "acl_attribute NULL ignores carol's value",
	  &carol, NONE_LISTED, LIST("carol@example.com read"),
	  &acl_off_null, false, ACL_RIGHT_UNSET, NULL, NULL, 0, NULL },

	/* groups */
	{ "erin writes via support, stronger than Domain Users' read",
	  &erin, NONE_LISTED, LIST("Domain Users read", "support write"),
	  &ucs_rules, true, ACL_RIGHT_WRITE, "support", NULL, 0, NULL },
	{ "erin reads via Domain Users, a group name with a space",
	  &erin, NONE_LISTED, LIST("Domain Users read"),
	  &ucs_rules, true, ACL_RIGHT_READ, "Domain Users", NULL, 0, NULL },
	{ "a group only starting like erin's is not hers",
	  &erin, NONE_LISTED, LIST("Domain write", "support-team all"),
	  &ucs_rules, false, ACL_RIGHT_UNSET, NULL, "no rule", 0, NULL },
	{ "a group's none does not beat another group's write",
	  &erin, NONE_LISTED, LIST("Domain Users none", "support write"),
	  &ucs_rules, true, ACL_RIGHT_WRITE, "support", NULL, 0, NULL },

	/* the person's value overrides the groups */
	{ "bob none is an explicit deny despite Domain Users read",
	  &bob, NONE_LISTED, LIST("Domain Users read", "bob none"),
	  &ucs_rules, false, ACL_RIGHT_NONE, "bob", "bob", 0, NULL },
	{ "bob none by address denies as well",
	  &bob, NONE_LISTED, LIST("bob@example.com none", "Domain Users all"),
	  &ucs_rules, false, ACL_RIGHT_NONE, "bob@example.com", NULL,
	  0, NULL },
	{ "frank's own read is weaker than support's write, and decides",
	  &frank, NONE_LISTED, LIST("support write", "frank read"),
	  &ucs_rules, true, ACL_RIGHT_READ, "frank", NULL, 0, NULL },
	{ "frank's own all is stronger than support's read, and decides",
	  &frank, NONE_LISTED, LIST("support read", "frank@example.com all"),
	  &ucs_rules, true, ACL_RIGHT_ALL, "frank@example.com", NULL,
	  0, NULL },

	/* values that do not parse */
	{ "support superuser is ignored and grants nothing",
	  &erin, NONE_LISTED, LIST("support superuser"),
	  &ucs_rules, false, ACL_RIGHT_UNSET, NULL, NULL,
	  1, "support superuser" },
	{ "a bogus value beside a good one is reported, the good one counts",
	  &erin, NONE_LISTED, LIST("support superuser", "Domain Users read"),
	  &ucs_rules, true, ACL_RIGHT_READ, "Domain Users", NULL,
	  1, "support superuser" },
	{ "values without a right or identifier are all ignored",
	  &carol, NONE_LISTED, LIST("carol", "read", " read", ""),
	  &ucs_rules, false, ACL_RIGHT_UNSET, NULL, NULL, 4, "carol" },
};
#define CASE_COUNT (sizeof(cases) / sizeof(cases[0]))

static struct grant_target target_of(const struct grant_case *c)
{
	struct grant_target target = {
		.dn = "cn=helpdesk,cn=functional_accounts,cn=open-xchange,"
		      "dc=example,dc=com",
		.members = c->members, .member_count = c->member_count,
		.acl_values = c->acl_values,
		.acl_value_count = c->acl_value_count,
	};
	return target;
}

static bool ignored_holds(const struct grant_decision *d, const char *needle)
{
	unsigned int i;

	for (i = 0; i < d->ignored_value_count; i++) {
		if (d->ignored_values[i] != NULL &&
		    strstr(d->ignored_values[i], needle) != NULL)
			return true;
	}
	return false;
}

START_TEST(test_decisions_follow_the_rules)
{
	struct arena arena;
	struct grant_target target;
	struct grant_decision d;
	const struct grant_case *c;
	size_t i;

	for (i = 0; i < CASE_COUNT; i++) {
		c = &cases[i];
		arena_init(&arena, 512);
		target = target_of(c);
		grant_decide(&arena, c->rules, c->person, &target, &d);

		ck_assert_msg(d.granted == c->granted, "%s: %s",
			      c->story, d.granted ? "granted" : "denied");
		ck_assert_msg(d.right == c->right,
			      "%s: right %s, expected %s", c->story,
			      acl_right_name(d.right),
			      acl_right_name(c->right));
		if (d.granted) {
			ck_assert_msg(d.reason == NULL,
				      "%s: granted with reason \"%s\"",
				      c->story, d.reason);
			ck_assert_msg(d.rule != NULL,
				      "%s: granted without a rule", c->story);
			ck_assert_msg(d.right >= c->rules->min_right,
				      "%s: granted below min_right", c->story);
		} else {
			ck_assert_msg(d.reason != NULL && d.reason[0] != '\0',
				      "%s: denied without a reason", c->story);
		}
		if (c->rule_has != NULL) {
			ck_assert_msg(d.rule != NULL &&
				      strstr(d.rule, c->rule_has) != NULL,
				      "%s: rule \"%s\" lacks \"%s\"", c->story,
				      d.rule == NULL ? "(null)" : d.rule,
				      c->rule_has);
		}
		if (c->reason_has != NULL) {
			ck_assert_msg(d.reason != NULL &&
				      strstr(d.reason, c->reason_has) != NULL,
				      "%s: reason \"%s\" lacks \"%s\"",
				      c->story,
				      d.reason == NULL ? "(null)" : d.reason,
				      c->reason_has);
		}
		ck_assert_msg(d.ignored_value_count == c->ignored,
			      "%s: %u values ignored, expected %u", c->story,
			      d.ignored_value_count, c->ignored);
		if (c->ignored_has != NULL) {
			ck_assert_msg(ignored_holds(&d, c->ignored_has),
				      "%s: \"%s\" not among the ignored values",
				      c->story, c->ignored_has);
		}
		arena_free(&arena);
	}
}
END_TEST

START_TEST(test_unknown_person_or_target_denies)
{
	struct grant_person nobody = { .dn = NULL, .name = "carol@example.com",
				       .uid = "carol" };
	const char *const acl[] = { "carol@example.com all" };
	struct grant_target helpdesk = {
		.dn = "cn=helpdesk,dc=example,dc=com",
		.acl_values = acl, .acl_value_count = 1,
	};
	struct grant_decision d;
	struct arena arena;

	arena_init(&arena, 512);
	grant_decide(&arena, &ucs_rules, &nobody, &helpdesk, &d);
	ck_assert(!d.granted);
	ck_assert_ptr_nonnull(d.reason);

	helpdesk.dn = NULL;
	grant_decide(&arena, &ucs_rules, &carol, &helpdesk, &d);
	ck_assert(!d.granted);
	ck_assert_ptr_nonnull(d.reason);
	arena_free(&arena);
}
END_TEST

START_TEST(test_min_right_is_inclusive)
{
	static const struct grant_rules post_rules = {
		.member_attribute = "uniqueMember",
		.acl_attribute = "univentionMailACL",
		.min_right = ACL_RIGHT_POST,
	};
	const char *const acl[] = { "carol post", "dave read" };
	struct grant_target helpdesk = {
		.dn = "cn=helpdesk,dc=example,dc=com",
		.acl_values = acl, .acl_value_count = 2,
	};
	struct grant_decision d;
	struct arena arena;

	arena_init(&arena, 512);
	grant_decide(&arena, &post_rules, &carol, &helpdesk, &d);
	ck_assert(d.granted);
	ck_assert_int_eq(d.right, ACL_RIGHT_POST);
	grant_decide(&arena, &post_rules, &dave, &helpdesk, &d);
	ck_assert(!d.granted);
	ck_assert_int_eq(d.right, ACL_RIGHT_READ);
	arena_free(&arena);
}
END_TEST

static Suite *grant_decide_suite(void)
{
	Suite *s = suite_create("grant-decide");
	TCase *tc = tcase_create("stories");

	tcase_add_test(tc, test_decisions_follow_the_rules);
	tcase_add_test(tc, test_unknown_person_or_target_denies);
	tcase_add_test(tc, test_min_right_is_inclusive);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(grant_decide_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
