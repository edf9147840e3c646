#ifndef GRANT_DECIDE_H
#define GRANT_DECIDE_H

/* grant-decide - the one place that decides whether a person may open a
   functional account, and with which right. Pure: it sees only facts the
   lookup gathered (no LDAP, no Dovecot), so every rule is unit-testable.
   Anything unknown denies. */

#include "acl-right.h"

#include <stdbool.h>

struct arena;

struct grant_person {
	/* normalised DN of the person's entry */
	const char *dn;
	/* identifiers an ACL value may name: mail address, uid (may be NULL) */
	const char *name;
	const char *uid;
	/* names (cn) of the groups the person is in, for ACL values */
	const char *const *group_names;
	unsigned int group_name_count;
	/* normalised DNs of the groups the person is in, also transitively,
	   for member lists that name groups */
	const char *const *group_dns;
	unsigned int group_dn_count;
};

struct grant_target {
	const char *dn;
	/* values of member_attribute (normalised DNs); membership = all */
	const char *const *members;
	unsigned int member_count;
	/* values of acl_attribute, "<identifier> <right>" */
	const char *const *acl_values;
	unsigned int acl_value_count;
};

struct grant_decision {
	/* true only if a rule grants at least min_right */
	bool granted;
	/* the person's effective right (ACL_RIGHT_UNSET if no rule matched) */
	enum acl_right right;
	/* the rule that decided, e.g. `univentionMailACL group "support"
	   write` or `uniqueMember (person)`; NULL if no rule matched */
	const char *rule;
	/* why access was denied; NULL when granted */
	const char *reason;
	/* ACL values that did not parse: logged by the caller, ignored */
	const char *const *ignored_values;
	unsigned int ignored_value_count;
};

struct grant_rules {
	/* attribute names, for messages; NULL/"" means the rule is off */
	const char *member_attribute;
	const char *acl_attribute;
	enum acl_right min_right;
};

/* grant_decide - apply the rules to person and target */
void grant_decide(struct arena *arena, const struct grant_rules *rules,
		  const struct grant_person *person,
		  const struct grant_target *target,
		  struct grant_decision *decision_r);

#endif
