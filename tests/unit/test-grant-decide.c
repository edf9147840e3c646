/* test-grant-decide - who may open which functional account, with which
   right (SPEC "The decision", "Directory model"): membership of the person
   or of one of their groups is full access; ACL values name people by mail
   address only (never by uid); values naming the person decide alone, the
   weakest of them if there are several; otherwise per group identifier
   (and "anyone"/"authenticated") the weakest value, across identifiers the
   strongest; a value that does not parse and may name the person, or in
   the group layer everyone or one of the person's groups, denies; a group
   whose name the directory withheld leaves the decision incomplete when a
   value could name it; below min_right or unmatched: deny. */

#include "grant-decide.h"
#include "ldap-dn.h"
#include "arena.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LIST(...) (const char *const[]){ __VA_ARGS__ }, \
	(unsigned int)(sizeof((const char *const[]){ __VA_ARGS__ }) / \
		       sizeof(const char *))
#define NONE_LISTED NULL, 0
#define GROUPS(...) (const struct grant_group[]){ __VA_ARGS__ }, \
	(unsigned int)(sizeof((const struct grant_group[]){ __VA_ARGS__ }) / \
		       sizeof(struct grant_group))
/* ignored values not checked: the person's own value decided, and
   whether other values are reported then is not the contract's */
#define IGNORED_UNCHECKED -1

#define SUPPORT_DN "cn=support,cn=groups,dc=example,dc=com"
#define DOMAIN_USERS_DN "cn=domain users,cn=groups,dc=example,dc=com"
#define HIDDEN_DN "cn=hidden,cn=groups,dc=example,dc=com"
#define HELPDESK_TEAM_DN "cn=helpdesk team,cn=groups,dc=example,dc=com"
#define ALICE_DN "uid=alice,cn=users,dc=example,dc=com"

/* --- the groups, as the lookup hands them over: comparable DNs, folded
   names --- */

#define SUPPORT { SUPPORT_DN, (const char *const[]){ "support" }, 1 }
#define DOMAIN_USERS { DOMAIN_USERS_DN, \
	(const char *const[]){ "domain users" }, 1 }
/* a group the directory gives no name for (cn hidden by an ACL) */
#define HIDDEN { HIDDEN_DN, NULL, 0 }
/* a group with two cn values */
#define HELPDESK_TEAM { HELPDESK_TEAM_DN, \
	(const char *const[]){ "helpdesk team", "hd" }, 2 }

/* --- the people --- */

/* alice is named as a member of info */
static const struct grant_person alice = {
	.dn = ALICE_DN, .address = "alice@example.com",
};
/* bob is in Domain Users, and some folders shut him out by name */
static const struct grant_person bob = {
	.dn = "uid=bob,cn=users,dc=example,dc=com",
	.address = "bob@example.com", .groups = GROUPS(DOMAIN_USERS),
};
/* carol reads helpdesk, named by her address; she is in no group */
static const struct grant_person carol = {
	.dn = "uid=carol,cn=users,dc=example,dc=com",
	.address = "carol@example.com",
};
/* dave writes, but some sites ask for more */
static const struct grant_person dave = {
	.dn = "uid=dave,cn=users,dc=example,dc=com",
	.address = "dave@example.com",
};
/* erin gets her rights from her groups: support and Domain Users */
static const struct grant_person erin = {
	.dn = "uid=erin,cn=users,dc=example,dc=com",
	.address = "erin@example.com",
	.groups = GROUPS(SUPPORT, DOMAIN_USERS),
};
/* frank is in support, but folders name him with less or more */
static const struct grant_person frank = {
	.dn = "uid=frank,cn=users,dc=example,dc=com",
	.address = "frank@example.com", .groups = GROUPS(SUPPORT),
};
/* gina's entry has no mail address; she is in support */
static const struct grant_person gina = {
	.dn = "uid=gina,cn=users,dc=example,dc=com",
	.address = NULL, .groups = GROUPS(SUPPORT),
};
/* hank is in support and in a group whose name the directory withholds */
static const struct grant_person hank = {
	.dn = "uid=hank,cn=users,dc=example,dc=com",
	.address = "hank@example.com", .groups = GROUPS(SUPPORT, HIDDEN),
};
/* ivan is in a group with two names */
static const struct grant_person ivan = {
	.dn = "uid=ivan,cn=users,dc=example,dc=com",
	.address = "ivan@example.com", .groups = GROUPS(HELPDESK_TEAM),
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
	bool incomplete;
	enum acl_right right;
	/* substrings of decision.rule / decision.reason; NULL: not checked */
	const char *rule_has;
	const char *reason_has;
	/* how many values must be reported as ignored (or
	   IGNORED_UNCHECKED), and one of them */
	int ignored;
	const char *ignored_has;
};

#define GRANTED(right) true, false, right
#define DENIED(right) false, false, right
#define INCOMPLETE false, true, ACL_RIGHT_UNSET

static const struct grant_case cases[] = {
	/* membership */
	{ "alice is an OX member of info",
	  &alice, LIST(ALICE_DN), NONE_LISTED, &ucs_rules,
	  GRANTED(ACL_RIGHT_ALL), "uniqueMember (person)", NULL, 0, NULL },
	{ "bob is not a member of info",
	  &bob, LIST(ALICE_DN), NONE_LISTED, &ucs_rules,
	  DENIED(ACL_RIGHT_UNSET), NULL, "no rule", 0, NULL },
	{ "a member list naming erin's group lets her in",
	  &erin, LIST(ALICE_DN, SUPPORT_DN), NONE_LISTED, &ucs_rules,
	  GRANTED(ACL_RIGHT_ALL), "via group", NULL, 0, NULL },
	{ "a member list naming hank's unnamed group lets him in: a DN "
	  "needs no name",
	  &hank, LIST(HIDDEN_DN), LIST("marketing write"), &ucs_rules,
	  GRANTED(ACL_RIGHT_ALL), HIDDEN_DN, NULL, 0, NULL },
	{ "a member DN that only starts like alice's is not alice",
	  &alice, LIST(ALICE_DN ",o=other"), NONE_LISTED, &ucs_rules,
	  DENIED(ACL_RIGHT_UNSET), NULL, "no rule", 0, NULL },
	{ "membership is all, even where min_right is all",
	  &alice, LIST(ALICE_DN), NONE_LISTED, &strict_rules,
	  GRANTED(ACL_RIGHT_ALL), "uniqueMember", NULL, 0, NULL },
	{ "membership decides before the ACL, even before alice's none",
	  &alice, LIST(ALICE_DN), LIST("alice@example.com none"), &ucs_rules,
	  GRANTED(ACL_RIGHT_ALL), "uniqueMember", NULL, IGNORED_UNCHECKED,
	  NULL },
	{ "member_attribute \"\" ignores the member list",
	  &alice, LIST(ALICE_DN), NONE_LISTED, &members_off_empty,
	  DENIED(ACL_RIGHT_UNSET), NULL, NULL, 0, NULL },
	{ "member_attribute NULL ignores the member list",
	  &alice, LIST(ALICE_DN), NONE_LISTED, &members_off_null,
	  DENIED(ACL_RIGHT_UNSET), NULL, NULL, 0, NULL },
	{ "member_attribute \"\" ignores erin's group in the member list",
	  &erin, LIST(SUPPORT_DN), NONE_LISTED, &members_off_empty,
	  DENIED(ACL_RIGHT_UNSET), NULL, NULL, 0, NULL },

	/* ACL values naming the person */
	{ "carol reads helpdesk, named by address",
	  &carol, NONE_LISTED, LIST("carol@example.com read"), &ucs_rules,
	  GRANTED(ACL_RIGHT_READ), "carol@example.com", NULL, 0, NULL },
	{ "a value naming carol's uid names a group called carol, not carol",
	  &carol, NONE_LISTED, LIST("carol read"), &ucs_rules,
	  DENIED(ACL_RIGHT_UNSET), NULL, "no rule", 0, NULL },
	{ "carol's address matches whatever its case and spacing",
	  &carol, NONE_LISTED, LIST("  Carol@Example.COM \t READ\n"),
	  &ucs_rules, GRANTED(ACL_RIGHT_READ), NULL, NULL, 0, NULL },
	{ "gina without an address is named by no person value, only by "
	  "her group",
	  &gina, NONE_LISTED, LIST("gina@example.com all", "support read"),
	  &ucs_rules, GRANTED(ACL_RIGHT_READ), "support", NULL, 0, NULL },
	{ "values for others give carol nothing",
	  &carol, NONE_LISTED,
	  LIST("alice@example.com write", "carol@example.com.evil all",
	       "caro@example.com read", "xcarol@example.com all"),
	  &ucs_rules, DENIED(ACL_RIGHT_UNSET), NULL, "no rule", 0, NULL },
	{ "of carol's several values the weakest decides",
	  &carol, NONE_LISTED,
	  LIST("carol@example.com write", "Carol@example.com read",
	       "carol@EXAMPLE.com all"),
	  &ucs_rules, GRANTED(ACL_RIGHT_READ), "read", NULL, 0, NULL },
	{ "of carol's several values a none denies",
	  &carol, NONE_LISTED,
	  LIST("carol@example.com all", "carol@example.com none"),
	  &ucs_rules, DENIED(ACL_RIGHT_NONE), NULL, "denied by", 0, NULL },
	{ "carol's none is an explicit deny despite anyone all",
	  &carol, NONE_LISTED, LIST("anyone all", "carol@example.com none"),
	  &ucs_rules, DENIED(ACL_RIGHT_NONE), "carol@example.com",
	  "denied by", IGNORED_UNCHECKED, NULL },
	{ "carol's read is below a min_right of all",
	  &carol, NONE_LISTED, LIST("carol@example.com read"),
	  &strict_rules, DENIED(ACL_RIGHT_READ), "carol@example.com",
	  "min_right", 0, NULL },
	{ "dave writes, but min_right all denies him",
	  &dave, NONE_LISTED, LIST("dave@example.com write"),
	  &strict_rules, DENIED(ACL_RIGHT_WRITE), "dave", "below", 0, NULL },
	{ "acl_attribute \"\" ignores carol's value",
	  &carol, NONE_LISTED, LIST("carol@example.com read"),
	  &acl_off_empty, DENIED(ACL_RIGHT_UNSET), NULL, NULL, 0, NULL },
	{ "acl_attribute NULL ignores carol's value",
	  &carol, NONE_LISTED, LIST("carol@example.com read"),
	  &acl_off_null, DENIED(ACL_RIGHT_UNSET), NULL, NULL, 0, NULL },

	/* everyone */
	{ "anyone read lets carol read",
	  &carol, NONE_LISTED, LIST("anyone read"), &ucs_rules,
	  GRANTED(ACL_RIGHT_READ), "everyone", NULL, 0, NULL },
	{ "authenticated write lets carol write",
	  &carol, NONE_LISTED, LIST("authenticated write"), &ucs_rules,
	  GRANTED(ACL_RIGHT_WRITE), "authenticated", NULL, 0, NULL },
	{ "ANYONE in capitals is everyone too",
	  &carol, NONE_LISTED, LIST("ANYONE Post"), &ucs_rules,
	  GRANTED(ACL_RIGHT_POST), "anyone", NULL, 0, NULL },
	{ "anyone none and authenticated write: the stronger identifier",
	  &carol, NONE_LISTED, LIST("anyone none", "authenticated write"),
	  &ucs_rules, GRANTED(ACL_RIGHT_WRITE), "authenticated", NULL,
	  0, NULL },
	{ "anyone write and anyone read: the weaker value of anyone",
	  &carol, NONE_LISTED, LIST("anyone write", "Anyone read"),
	  &ucs_rules, GRANTED(ACL_RIGHT_READ), "anyone", NULL, 0, NULL },
	{ "anyone none alone denies",
	  &carol, NONE_LISTED, LIST("anyone none"), &ucs_rules,
	  DENIED(ACL_RIGHT_NONE), NULL, NULL, 0, NULL },

	/* groups */
	{ "erin writes via support, stronger than Domain Users' read",
	  &erin, NONE_LISTED, LIST("Domain Users read", "support write"),
	  &ucs_rules, GRANTED(ACL_RIGHT_WRITE), "support", NULL, 0, NULL },
	{ "erin reads via Domain Users, a group name with a space",
	  &erin, NONE_LISTED, LIST("Domain Users read"), &ucs_rules,
	  GRANTED(ACL_RIGHT_READ), "domain users", NULL, 0, NULL },
	{ "group names match whatever their case and spacing",
	  &erin, NONE_LISTED, LIST("DOMAIN \t users   read"), &ucs_rules,
	  GRANTED(ACL_RIGHT_READ), "domain users", NULL, 0, NULL },
	{ "a group only starting like erin's is not hers",
	  &erin, NONE_LISTED, LIST("Domain write", "support-team all",
				  "support team all"),
	  &ucs_rules, DENIED(ACL_RIGHT_UNSET), NULL, "no rule", 0, NULL },
	{ "a group's none does not beat another group's write",
	  &erin, NONE_LISTED, LIST("Domain Users none", "support write"),
	  &ucs_rules, GRANTED(ACL_RIGHT_WRITE), "support", NULL, 0, NULL },
	{ "support write and support read give frank the weaker, read",
	  &frank, NONE_LISTED, LIST("support write", "SUPPORT read"),
	  &ucs_rules, GRANTED(ACL_RIGHT_READ), "support", NULL, 0, NULL },
	{ "per group the weakest, across groups the strongest",
	  &erin, NONE_LISTED,
	  LIST("support all", "support post", "domain users write",
	       "Domain Users read"),
	  &ucs_rules, GRANTED(ACL_RIGHT_POST), "support", NULL, 0, NULL },
	{ "a group none beside anyone read: the stronger, read",
	  &frank, NONE_LISTED, LIST("support none", "anyone read"),
	  &ucs_rules, GRANTED(ACL_RIGHT_READ), "anyone", NULL, 0, NULL },
	{ "a group counts under either of its names",
	  &ivan, NONE_LISTED, LIST("HD write"), &ucs_rules,
	  GRANTED(ACL_RIGHT_WRITE), "hd", NULL, 0, NULL },
	{ "a group that is no group of bob gives him nothing",
	  &bob, NONE_LISTED, LIST("support all"), &ucs_rules,
	  DENIED(ACL_RIGHT_UNSET), NULL, "no rule", 0, NULL },

	/* the person's value overrides the groups */
	{ "bob's none is an explicit deny despite Domain Users read",
	  &bob, NONE_LISTED, LIST("Domain Users read", "bob@example.com none"),
	  &ucs_rules, DENIED(ACL_RIGHT_NONE), "bob@example.com", "denied",
	  IGNORED_UNCHECKED, NULL },
	{ "frank's own read is weaker than support's write, and decides",
	  &frank, NONE_LISTED, LIST("support write", "frank@example.com read"),
	  &ucs_rules, GRANTED(ACL_RIGHT_READ), "frank@example.com", NULL,
	  IGNORED_UNCHECKED, NULL },
	{ "frank's own all is stronger than support's read, and decides",
	  &frank, NONE_LISTED, LIST("support read", "frank@example.com all"),
	  &ucs_rules, GRANTED(ACL_RIGHT_ALL), "frank@example.com", NULL,
	  IGNORED_UNCHECKED, NULL },

	/* values that do not parse */
	{ "a value naming carol that does not parse denies",
	  &carol, NONE_LISTED, LIST("anyone all", "carol@example.com superuser"),
	  &ucs_rules, DENIED(ACL_RIGHT_NONE), NULL, "does not parse",
	  IGNORED_UNCHECKED, NULL },
	{ "a value naming carol without a right denies",
	  &carol, NONE_LISTED, LIST("Carol@Example.com", "anyone all"),
	  &ucs_rules, DENIED(ACL_RIGHT_NONE), NULL, "does not parse",
	  IGNORED_UNCHECKED, NULL },
	{ "a value naming carol followed by two words denies",
	  &carol, NONE_LISTED, LIST("carol@example.com read only"),
	  &ucs_rules, DENIED(ACL_RIGHT_NONE), NULL, "does not parse",
	  IGNORED_UNCHECKED, NULL },
	{ "a malformed value naming carol denies beside her own all",
	  &carol, NONE_LISTED,
	  LIST("carol@example.com all", "carol@example.com al"),
	  &ucs_rules, DENIED(ACL_RIGHT_NONE), NULL, "does not parse",
	  IGNORED_UNCHECKED, NULL },
	{ "a malformed value for someone else does not stop carol's read",
	  &carol, NONE_LISTED,
	  LIST("alice@example.com superuser", "carol@example.com read"),
	  &ucs_rules, GRANTED(ACL_RIGHT_READ), "carol@example.com", NULL,
	  IGNORED_UNCHECKED, NULL },
	{ "support superuser, erin's group, does not parse: denies",
	  &erin, NONE_LISTED, LIST("support superuser", "Domain Users read"),
	  &ucs_rules, DENIED(ACL_RIGHT_NONE), NULL, "does not parse",
	  IGNORED_UNCHECKED, NULL },
	{ "anyone superuser denies when the groups decide",
	  &erin, NONE_LISTED, LIST("support write", "anyone superuser"),
	  &ucs_rules, DENIED(ACL_RIGHT_NONE), NULL, "does not parse",
	  IGNORED_UNCHECKED, NULL },
	{ "authenticated without a right denies when the groups decide",
	  &carol, NONE_LISTED, LIST("authenticated", "anyone read"),
	  &ucs_rules, DENIED(ACL_RIGHT_NONE), NULL, "does not parse",
	  IGNORED_UNCHECKED, NULL },
	{ "a malformed value naming erin's group denies after one that names "
	  "nobody",
	  &erin, NONE_LISTED, LIST("marketing superuser", "support bogus"),
	  &ucs_rules, DENIED(ACL_RIGHT_NONE), NULL, "does not parse",
	  IGNORED_UNCHECKED, NULL },
	{ "a malformed value starting with erin's group name denies",
	  &erin, NONE_LISTED, LIST("Support  Team bogus", "anyone all"),
	  &ucs_rules, DENIED(ACL_RIGHT_NONE), NULL, "does not parse",
	  IGNORED_UNCHECKED, NULL },
	{ "a malformed value under ivan's group's second name denies",
	  &ivan, NONE_LISTED, LIST("hd lrws", "helpdesk team all"),
	  &ucs_rules, DENIED(ACL_RIGHT_NONE), NULL, "does not parse",
	  IGNORED_UNCHECKED, NULL },
	{ "marketing superuser names none of erin's groups: reported, "
	  "ignored",
	  &erin, NONE_LISTED, LIST("marketing superuser", "Domain Users read"),
	  &ucs_rules, GRANTED(ACL_RIGHT_READ), "domain users", NULL,
	  1, "marketing superuser" },
	{ "a malformed value naming nobody is reported when carol's own value "
	  "decides",
	  &carol, NONE_LISTED, LIST("carol@example.com read",
				   "marketing superuser"),
	  &ucs_rules, GRANTED(ACL_RIGHT_READ), "carol@example.com", NULL,
	  1, "marketing superuser" },
	{ "a malformed group-layer value does not matter when carol's own "
	  "value decides",
	  &carol, NONE_LISTED, LIST("carol@example.com read",
				   "anyone superuser"),
	  &ucs_rules, GRANTED(ACL_RIGHT_READ), "carol@example.com", NULL,
	  IGNORED_UNCHECKED, NULL },
	{ "values without a right or an identifier name nobody: reported",
	  &carol, NONE_LISTED, LIST("read", " read", "", "\t"),
	  &ucs_rules, DENIED(ACL_RIGHT_UNSET), NULL, "no rule", 4, "read" },

	/* a group whose name the directory withheld */
	{ "hank's unnamed group could be marketing: incomplete",
	  &hank, NONE_LISTED, LIST("marketing write"), &ucs_rules,
	  INCOMPLETE, NULL, NULL, IGNORED_UNCHECKED, NULL },
	{ "hank's unnamed group could be marketing, stronger than support: "
	  "incomplete",
	  &hank, NONE_LISTED, LIST("support read", "marketing write"),
	  &ucs_rules, INCOMPLETE, NULL, NULL, IGNORED_UNCHECKED, NULL },
	{ "hank's unnamed group does not matter for everyone values",
	  &hank, NONE_LISTED, LIST("anyone read"), &ucs_rules,
	  GRANTED(ACL_RIGHT_READ), "anyone", NULL, 0, NULL },
	{ "hank's unnamed group does not matter for his known group alone",
	  &hank, NONE_LISTED, LIST("support write", "anyone read"),
	  &ucs_rules, GRANTED(ACL_RIGHT_WRITE), "support", NULL, 0, NULL },
	{ "hank's own value decides, his unnamed group does not matter",
	  &hank, NONE_LISTED, LIST("marketing all", "hank@example.com read"),
	  &ucs_rules, GRANTED(ACL_RIGHT_READ), "hank@example.com", NULL,
	  IGNORED_UNCHECKED, NULL },
	{ "a malformed value naming no known group could name hank's "
	  "unnamed one: incomplete",
	  &hank, NONE_LISTED, LIST("marketing superuser", "anyone read"),
	  &ucs_rules, INCOMPLETE, NULL, NULL, IGNORED_UNCHECKED, NULL },
	{ "a malformed value naming hank's known group denies, whatever is "
	  "unknown",
	  &hank, NONE_LISTED, LIST("marketing write", "support bogus"),
	  &ucs_rules, DENIED(ACL_RIGHT_NONE), NULL, "does not parse",
	  IGNORED_UNCHECKED, NULL },
	{ "a malformed value naming hank's known group denies, whatever is "
	  "unknown, in either order",
	  &hank, NONE_LISTED, LIST("support bogus", "marketing write"),
	  &ucs_rules, DENIED(ACL_RIGHT_NONE), NULL, "does not parse",
	  IGNORED_UNCHECKED, NULL },
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

/* contains - haystack holds needle, in any case: rules quote values as
   the directory wrote them */
static bool contains(const char *haystack, const char *needle)
{
	size_t len = strlen(needle);

	for (; haystack != NULL && *haystack != '\0'; haystack++) {
		if (strncasecmp(haystack, needle, len) == 0)
			return true;
	}
	return false;
}

static bool ignored_holds(const struct grant_decision *d, const char *needle)
{
	unsigned int i;

	for (i = 0; i < d->ignored_value_count; i++) {
		if (d->ignored_values[i] != NULL &&
		    contains(d->ignored_values[i], needle))
			return true;
	}
	return false;
}

/* ck_assert_decision_sane - what holds for every decision */
static void ck_assert_decision_sane(const char *story,
				    const struct grant_rules *rules,
				    const struct grant_decision *d)
{
	unsigned int i;

	if (d->granted) {
		ck_assert_msg(!d->incomplete, "%s: granted but incomplete",
			      story);
		ck_assert_msg(d->reason == NULL,
			      "%s: granted with reason \"%s\"", story,
			      d->reason);
		ck_assert_msg(d->rule != NULL, "%s: granted without a rule",
			      story);
		ck_assert_msg(d->right >= rules->min_right,
			      "%s: granted below min_right", story);
	} else {
		ck_assert_msg(d->reason != NULL && d->reason[0] != '\0',
			      "%s: denied without a reason", story);
	}
	/* the caller logs every one of them */
	for (i = 0; i < d->ignored_value_count; i++) {
		ck_assert_msg(d->ignored_values != NULL &&
			      d->ignored_values[i] != NULL,
			      "%s: %u ignored values, but value %u is missing",
			      story, d->ignored_value_count, i);
	}
}

START_TEST(test_decisions_follow_the_rules)
{
	const struct grant_case *c = &cases[_i];
	struct arena arena;
	struct grant_target target;
	struct grant_decision d;

	arena_init(&arena, 512);
	target = target_of(c);
	grant_decide(&arena, c->rules, c->person, &target, &d);

	ck_assert_decision_sane(c->story, c->rules, &d);
	ck_assert_msg(d.granted == c->granted, "%s: %s (%s)", c->story,
		      d.granted ? "granted" : "not granted",
		      d.reason != NULL ? d.reason : d.rule);
	ck_assert_msg(d.incomplete == c->incomplete, "%s: %scomplete (%s)",
		      c->story, d.incomplete ? "in" : "",
		      d.reason != NULL ? d.reason : d.rule);
	if (!c->incomplete) {
		ck_assert_msg(d.right == c->right,
			      "%s: right %s, expected %s", c->story,
			      acl_right_name(d.right),
			      acl_right_name(c->right));
	}
	if (c->rule_has != NULL) {
		ck_assert_msg(d.rule != NULL && contains(d.rule, c->rule_has),
			      "%s: rule \"%s\" lacks \"%s\"", c->story,
			      d.rule == NULL ? "(null)" : d.rule,
			      c->rule_has);
	}
	if (c->reason_has != NULL) {
		ck_assert_msg(d.reason != NULL &&
			      contains(d.reason, c->reason_has),
			      "%s: reason \"%s\" lacks \"%s\"", c->story,
			      d.reason == NULL ? "(null)" : d.reason,
			      c->reason_has);
	}
	if (c->ignored != IGNORED_UNCHECKED) {
		ck_assert_msg(d.ignored_value_count == (unsigned int)c->ignored,
			      "%s: %u values ignored, expected %d", c->story,
			      d.ignored_value_count, c->ignored);
	}
	if (c->ignored_has != NULL) {
		ck_assert_msg(ignored_holds(&d, c->ignored_has),
			      "%s: \"%s\" not among the ignored values",
			      c->story, c->ignored_has);
	}
	arena_free(&arena);
}
END_TEST

/* whenever grant_needs_groups() says no, the lookup skips the group
   searches: the decision must then be the same without the groups */
START_TEST(test_groups_not_needed_do_not_change_the_decision)
{
	const struct grant_case *c = &cases[_i];
	struct grant_person groupless = *c->person;
	struct grant_decision with, without;
	struct grant_target target;
	struct arena arena;

	arena_init(&arena, 512);
	target = target_of(c);
	groupless.groups = NULL;
	groupless.group_count = 0;
	ck_assert_msg(grant_needs_groups(&arena, c->rules, &groupless,
					 &target) ==
		      grant_needs_groups(&arena, c->rules, c->person, &target),
		      "%s: grant_needs_groups looks at person->groups",
		      c->story);
	if (!grant_needs_groups(&arena, c->rules, &groupless, &target)) {
		grant_decide(&arena, c->rules, c->person, &target, &with);
		grant_decide(&arena, c->rules, &groupless, &target, &without);
		ck_assert_msg(with.granted == without.granted &&
			      with.incomplete == without.incomplete &&
			      with.right == without.right,
			      "%s: groups said not needed, but the decision "
			      "is %s with them and %s without", c->story,
			      acl_right_name(with.right),
			      acl_right_name(without.right));
	}
	arena_free(&arena);
}
END_TEST

START_TEST(test_members_written_differently_name_alice_once_comparable)
{
	const char *const written[] = {
		"UID=Alice,CN=Users,DC=Example,DC=com",
		"uid=alice, cn=users, dc=example, dc=com",
	};
	struct grant_target info = { .dn = "cn=info,dc=example,dc=com" };
	struct grant_decision d;
	struct arena arena;
	const char *members[1];
	unsigned int i;

	arena_init(&arena, 512);
	info.members = members;
	info.member_count = 1;
	for (i = 0; i < 2; i++) {
		members[0] = ldap_dn_comparable(&arena, written[i]);
		grant_decide(&arena, &ucs_rules, &alice, &info, &d);
		ck_assert_msg(d.granted, "%s: %s", written[i], d.reason);
		ck_assert_int_eq(d.right, ACL_RIGHT_ALL);
	}
	arena_free(&arena);
}
END_TEST

START_TEST(test_unknown_person_or_target_denies)
{
	struct grant_person nobody = { .dn = NULL,
				       .address = "carol@example.com" };
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
	const char *const acl[] = { "carol@example.com post",
				    "dave@example.com read" };
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

/* --- grant_needs_groups --- */

struct needs_case {
	const char *story;
	const struct grant_person *person;
	const char *const *members;
	unsigned int member_count;
	const char *const *acl_values;
	unsigned int acl_value_count;
	const struct grant_rules *rules;
	bool needed;
};

static const struct needs_case needs_cases[] = {
	{ "groups are not needed when alice herself is a member",
	  &alice, LIST(ALICE_DN, SUPPORT_DN), LIST("support write"),
	  &ucs_rules, false },
	{ "groups are needed when a member list could list erin's group",
	  &erin, LIST(ALICE_DN), NONE_LISTED, &ucs_rules, true },
	{ "a member list does not make groups needed with the member rule "
	  "off",
	  &erin, LIST(ALICE_DN), LIST("anyone read"), &members_off_empty,
	  false },
	{ "groups are not needed when carol's own value decides",
	  &carol, NONE_LISTED, LIST("carol@example.com read", "support write",
				   "bogus"),
	  &ucs_rules, false },
	{ "groups are not needed when a malformed value naming carol "
	  "decides",
	  &carol, NONE_LISTED, LIST("carol@example.com bogus",
				   "support write"),
	  &ucs_rules, false },
	{ "groups are not needed for everyone values and other people's",
	  &carol, NONE_LISTED, LIST("anyone read", "alice@example.com all",
				   "Authenticated none"),
	  &ucs_rules, false },
	{ "groups are needed when a value names a group",
	  &carol, NONE_LISTED, LIST("anyone read", "support write"),
	  &ucs_rules, true },
	{ "groups are needed when a value does not parse",
	  &carol, NONE_LISTED, LIST("anyone read", "bogus"),
	  &ucs_rules, true },
	{ "groups are needed when gina, without an address, meets a group "
	  "value",
	  &gina, NONE_LISTED, LIST("gina@example.com all", "support read"),
	  &ucs_rules, true },
	{ "groups are not needed when there is nothing to apply",
	  &carol, NONE_LISTED, NONE_LISTED, &ucs_rules, false },
	{ "groups are not needed for a group value with the ACL rule off",
	  &carol, NONE_LISTED, LIST("support write"), &acl_off_empty, false },
};
#define NEEDS_CASE_COUNT (sizeof(needs_cases) / sizeof(needs_cases[0]))

START_TEST(test_groups_are_needed_only_where_they_can_matter)
{
	const struct needs_case *c = &needs_cases[_i];
	struct grant_target target = {
		.dn = "cn=helpdesk,dc=example,dc=com",
		.members = c->members, .member_count = c->member_count,
		.acl_values = c->acl_values,
		.acl_value_count = c->acl_value_count,
	};
	struct arena arena;

	arena_init(&arena, 512);
	ck_assert_msg(grant_needs_groups(&arena, c->rules, c->person,
					 &target) == c->needed,
		      "%s: grant_needs_groups says %s", c->story,
		      c->needed ? "no" : "yes");
	arena_free(&arena);
}
END_TEST

static Suite *grant_decide_suite(void)
{
	Suite *s = suite_create("grant-decide");
	TCase *tc = tcase_create("stories");

	tcase_add_loop_test(tc, test_decisions_follow_the_rules, 0,
			    (int)CASE_COUNT);
	tcase_add_loop_test(tc, test_groups_not_needed_do_not_change_the_decision,
			    0, (int)CASE_COUNT);
	tcase_add_test(tc, test_members_written_differently_name_alice_once_comparable);
	tcase_add_test(tc, test_unknown_person_or_target_denies);
	tcase_add_test(tc, test_min_right_is_inclusive);
	suite_add_tcase(s, tc);

	tc = tcase_create("needs-groups");
	tcase_add_loop_test(tc, test_groups_are_needed_only_where_they_can_matter,
			    0, (int)NEEDS_CASE_COUNT);
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
