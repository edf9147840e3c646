#ifndef GRANT_DECIDE_H
#define GRANT_DECIDE_H

/* grant-decide - the one place that decides whether a person may open a
   functional account, and with which right. Pure: it sees only facts the
   lookup gathered (no LDAP, no Dovecot), so every rule is unit-testable.
   Anything unknown denies; facts known to be incomplete fail
   temporarily. */

#include "acl-right.h"

#include <stdbool.h>

struct arena;

struct grant_group {
	/* comparable DN (ldap_dn_comparable) */
	const char *dn;
	/* its names (group_name_attribute values, text_fold_name'd);
	   name_count 0: the directory did not say (hidden, missing) */
	const char *const *names;
	unsigned int name_count;
};

struct grant_person {
	/* comparable DN of the person's entry */
	const char *dn;
	/* the mail address ACL values name the person by, text_fold_name'd;
	   NULL if the entry has none */
	const char *address;
	/* every group the person is in, also through groups in groups (to
	   group_nesting_depth), whatever the target: what a login is
	   granted must not depend on which target looked the groups up */
	const struct grant_group *groups;
	unsigned int group_count;
};

struct grant_target {
	/* comparable DN */
	const char *dn;
	/* values of member_attribute, comparable DNs; membership = all */
	const char *const *members;
	unsigned int member_count;
	/* values of acl_attribute, as the directory wrote them */
	const char *const *acl_values;
	unsigned int acl_value_count;
};

struct grant_decision {
	/* true only if a rule grants at least min_right */
	bool granted;
	/* the decision needed a fact the directory did not give (a group's
	   name): a temporary failure, never a grant or a denial */
	bool incomplete;
	/* the person's effective right (ACL_RIGHT_UNSET if no rule matched) */
	enum acl_right right;
	/* the rule that decided, e.g. `univentionMailACL group "support"
	   write` or `uniqueMember (person)`; NULL if no rule matched */
	const char *rule;
	/* why access was denied or could not be decided; NULL if granted */
	const char *reason;
	/* ACL values that did not parse and name nobody relevant: logged by
	   the caller, ignored */
	const char *const *ignored_values;
	unsigned int ignored_value_count;
};

struct grant_rules {
	/* attribute names, for messages; NULL/"" means the rule is off */
	const char *member_attribute;
	const char *acl_attribute;
	enum acl_right min_right;
	/* the setting min_right came from, for messages ("min_right",
	   "send_min_right"); NULL: "min_right" */
	const char *min_right_setting;
};

/* grant_decide - apply the rules to person and target */
void grant_decide(struct arena *arena, const struct grant_rules *rules,
		  const struct grant_person *person,
		  const struct grant_target *target,
		  struct grant_decision *decision_r);

/* grant_needs_groups - could the person's groups change grant_decide()'s
   answer for this target? (person->groups is ignored) When false the
   lookup skips the group searches. */
bool grant_needs_groups(struct arena *arena, const struct grant_rules *rules,
			const struct grant_person *person,
			const struct grant_target *target);

#endif
