/* grant-decide - may this person open this functional account?

   Rules, in the order they are tried:
   1. member_attribute: the person's DN, or the DN of a group the person is
      in, is listed: full access (OX functional accounts).
   2. acl_attribute, read as UCS reads univentionMailACL and as Dovecot's
      ACL plugin then applies it to the shared folder:
      a. values naming the person (by mail address) decide alone, weaker
         or stronger than the groups'; "none" is an explicit deny; several
         such values: the weakest (UCS's outcome would depend on the order
         the directory returns them in);
      b. otherwise values naming "anyone", "authenticated" or one of the
         person's groups: per identifier the weakest, then the strongest
         identifier.
      A value that does not parse but may name the person (a) or, when
      the groups decide, the person's group (b) denies: it may have been
      the explicit deny. Other values that do not parse are reported and
      ignored. A group whose name the directory withheld makes (b)
      undecidable when some name it could have would change the answer.
   The result must reach min_right. */

#include "grant-decide.h"
#include "arena.h"

#include <stdlib.h>
#include <string.h>

struct grant_acl {
	/* as the directory wrote it; messages use acl.written, whose white
	   space (tabs, line ends) is one space: directory data must not
	   split or forge log lines */
	const char *value;
	bool parsed;
	/* does not parse, and denied: the reason, not an ignored value */
	bool denied;
	struct acl_value acl;
};

struct grant_acl_match {
	const char *identifier;
	const char *written;
	enum acl_right right;
};

static bool rule_on(const char *attribute)
{
	return attribute != NULL && attribute[0] != '\0';
}

static bool dn_listed(const char *dn, const struct grant_target *target)
{
	unsigned int i;

	for (i = 0; i < target->member_count; i++) {
		if (strcmp(target->members[i], dn) == 0)
			return true;
	}
	return false;
}

/* words_start_with - does identifier (words joined by one space) begin
   with the whole words of name? */
static bool words_start_with(const char *identifier, const char *name)
{
	size_t len = strlen(name);

	return len > 0 && strncmp(identifier, name, len) == 0 &&
		(identifier[len] == '\0' || identifier[len] == ' ');
}

static bool group_named(const struct grant_group *group, const char *name,
			bool prefix)
{
	unsigned int i;

	for (i = 0; i < group->name_count; i++) {
		if (prefix ? words_start_with(name, group->names[i]) :
		    strcmp(name, group->names[i]) == 0)
			return true;
	}
	return false;
}

static bool person_group_named(const struct grant_person *person,
			       const char *name, bool prefix)
{
	unsigned int i;

	for (i = 0; i < person->group_count; i++) {
		if (group_named(&person->groups[i], name, prefix))
			return true;
	}
	return false;
}

static bool person_has_unnamed_group(const struct grant_person *person)
{
	unsigned int i;

	for (i = 0; i < person->group_count; i++) {
		if (person->groups[i].name_count == 0)
			return true;
	}
	return false;
}

static struct grant_acl *
grant_acl_parse(struct arena *arena, const struct grant_target *target)
{
	struct grant_acl *acls;
	const char *error;
	unsigned int i;

	acls = arena_alloc(arena, sizeof(*acls) * (target->acl_value_count + 1));
	for (i = 0; i < target->acl_value_count; i++) {
		acls[i].value = target->acl_values[i];
		acls[i].parsed = acl_value_parse(arena, acls[i].value,
						 &acls[i].acl, &error) == 0;
	}
	return acls;
}

static bool grant_by_membership(struct arena *arena,
				const struct grant_rules *rules,
				const struct grant_person *person,
				const struct grant_target *target,
				struct grant_decision *decision)
{
	unsigned int i;

	if (!rule_on(rules->member_attribute))
		return false;
	if (dn_listed(person->dn, target)) {
		decision->rule = arena_printf(arena, "%s (person)",
					      rules->member_attribute);
		return true;
	}
	for (i = 0; i < person->group_count; i++) {
		if (dn_listed(person->groups[i].dn, target)) {
			decision->rule = arena_printf(arena,
				"%s via group \"%s\"", rules->member_attribute,
				person->groups[i].dn);
			return true;
		}
	}
	return false;
}

/* acl_person_layer - values naming the person: true if they decide
   (right and rule set, or reason set for a value that does not parse) */
static bool acl_person_layer(struct arena *arena,
			     const struct grant_rules *rules,
			     const struct grant_person *person,
			     struct grant_acl *acls, unsigned int count,
			     struct grant_decision *decision)
{
	const struct grant_acl *weakest = NULL;
	unsigned int i;

	if (person->address == NULL)
		return false;
	for (i = 0; i < count; i++) {
		if (!acls[i].parsed) {
			if (!words_start_with(acls[i].acl.identifier,
					      person->address))
				continue;
			acls[i].denied = true;
			decision->right = ACL_RIGHT_NONE;
			decision->reason = arena_printf(arena, "%s value \"%s\" "
				"names the person but does not parse",
				rules->acl_attribute, acls[i].acl.written);
			return true;
		}
		if (acls[i].acl.kind == ACL_IDENTIFIER_PERSON &&
		    strcmp(acls[i].acl.identifier, person->address) == 0 &&
		    (weakest == NULL || acls[i].acl.right < weakest->acl.right))
			weakest = &acls[i];
	}
	if (weakest == NULL)
		return false;
	decision->right = weakest->acl.right;
	decision->rule = arena_printf(arena, "%s user \"%s\" %s",
				      rules->acl_attribute,
				      weakest->acl.written,
				      acl_right_name(weakest->acl.right));
	return true;
}

static int match_cmp(const void *p1, const void *p2)
{
	const struct grant_acl_match *m1 = p1, *m2 = p2;
	int ret = strcmp(m1->identifier, m2->identifier);

	return ret != 0 ? ret : (int)m1->right - (int)m2->right;
}

/* acl_group_layer - values naming everyone or the person's groups */
/* strongest_identifier - among matches (sorted by identifier, weakest
   first, so the first of each identifier is its right) the identifier
   with the strongest right, or NULL */
static const struct grant_acl_match *
strongest_identifier(struct grant_acl_match *matches, unsigned int n)
{
	const struct grant_acl_match *best = NULL;
	unsigned int i;

	qsort(matches, n, sizeof(*matches), match_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(matches[i].identifier,
				    matches[i - 1].identifier) == 0)
			continue;
		if (best == NULL || matches[i].right > best->right)
			best = &matches[i];
	}
	return best;
}

/* acl_group_layer - values naming everyone or the person's groups */
static void acl_group_layer(struct arena *arena,
			    const struct grant_rules *rules,
			    const struct grant_person *person,
			    struct grant_acl *acls, unsigned int count,
			    struct grant_decision *decision)
{
	bool unnamed = person_has_unnamed_group(person), maybe_deny = false;
	struct grant_acl_match *matches, *maybe;
	const struct grant_acl_match *best, *best_maybe;
	enum acl_right known, could;
	unsigned int i, n = 0, n_maybe = 0;

	matches = arena_alloc(arena, sizeof(*matches) * (count + 1));
	/* values that may name a group whose name the directory withheld */
	maybe = arena_alloc(arena, sizeof(*maybe) * (count + 1));
	for (i = 0; i < count; i++) {
		const struct acl_value *acl = &acls[i].acl;

		if (!acls[i].parsed) {
			if (words_start_with(acl->identifier, "anyone") ||
			    words_start_with(acl->identifier, "authenticated") ||
			    person_group_named(person, acl->identifier, true)) {
				/* a fact that denies, whatever is missing */
				acls[i].denied = true;
				decision->right = ACL_RIGHT_NONE;
				decision->reason = arena_printf(arena,
					"%s value \"%s\" may name the person's "
					"group but does not parse",
					rules->acl_attribute, acls[i].acl.written);
				return;
			}
			maybe_deny = true;
		} else if (acl->kind == ACL_IDENTIFIER_EVERYONE ||
			   (acl->kind == ACL_IDENTIFIER_GROUP &&
			    person_group_named(person, acl->identifier, false))) {
			matches[n].identifier = acl->identifier;
			matches[n].written = acl->written;
			matches[n++].right = acl->right;
		} else if (acl->kind == ACL_IDENTIFIER_GROUP) {
			maybe[n_maybe].identifier = acl->identifier;
			maybe[n_maybe].written = acl->written;
			maybe[n_maybe++].right = acl->right;
		}
	}
	best = strongest_identifier(matches, n);
	known = best == NULL ? ACL_RIGHT_UNSET : best->right;
	if (unnamed) {
		/* undecidable if some name of the nameless groups would
		   change the answer: a stronger right that lets the person
		   in, or a value that does not parse denying a grant */
		best_maybe = strongest_identifier(maybe, n_maybe);
		could = best_maybe == NULL || best_maybe->right < known ?
			known : best_maybe->right;
		if ((could > known && could >= rules->min_right) ||
		    (maybe_deny && known >= rules->min_right)) {
			decision->incomplete = true;
			decision->reason = "a group of the person has no "
				"group_name_attribute value, and the answer "
				"depends on its name";
			return;
		}
	}
	if (best == NULL)
		return;
	decision->right = best->right;
	decision->rule = arena_printf(arena, "%s %s \"%s\" %s",
		rules->acl_attribute,
		strcmp(best->identifier, "anyone") == 0 ||
		strcmp(best->identifier, "authenticated") == 0 ?
		"everyone" : "group", best->written,
		acl_right_name(best->right));
}

/* grant_acl_report_ignored - the values that do not parse, for the
   caller's log, whichever layer decided (one that denied is the reason,
   not ignored) */
static void grant_acl_report_ignored(struct arena *arena,
				     const struct grant_acl *acls,
				     unsigned int count,
				     struct grant_decision *decision)
{
	const char **ignored;
	unsigned int i;

	ignored = arena_alloc(arena, sizeof(*ignored) * (count + 1));
	decision->ignored_values = ignored;
	for (i = 0; i < count; i++) {
		if (acls[i].parsed || acls[i].denied)
			continue;
		ignored[decision->ignored_value_count++] =
			arena_printf(arena, "\"%s\"", acls[i].acl.written);
	}
}

void grant_decide(struct arena *arena, const struct grant_rules *rules,
		  const struct grant_person *person,
		  const struct grant_target *target,
		  struct grant_decision *decision_r)
{
	struct grant_acl *acls;

	memset(decision_r, 0, sizeof(*decision_r));
	decision_r->right = ACL_RIGHT_UNSET;

	if (person->dn == NULL || target->dn == NULL) {
		decision_r->reason = "person or target unknown";
		return;
	}
	if (grant_by_membership(arena, rules, person, target, decision_r)) {
		decision_r->right = ACL_RIGHT_ALL;
	} else if (rule_on(rules->acl_attribute)) {
		acls = grant_acl_parse(arena, target);
		if (!acl_person_layer(arena, rules, person, acls,
				      target->acl_value_count, decision_r))
			acl_group_layer(arena, rules, person, acls,
					target->acl_value_count, decision_r);
		grant_acl_report_ignored(arena, acls, target->acl_value_count,
					 decision_r);
	}

	if (decision_r->reason != NULL) {
		/* a value that does not parse denied, or facts are missing */
	} else if (decision_r->right == ACL_RIGHT_UNSET) {
		decision_r->reason = "no rule names the person or one of "
			"their groups";
	} else if (decision_r->right == ACL_RIGHT_NONE) {
		decision_r->reason = arena_printf(arena, "denied by %s",
						  decision_r->rule);
	} else if (decision_r->right < rules->min_right) {
		decision_r->reason = arena_printf(arena,
			"right %s (%s) is below %s %s",
			acl_right_name(decision_r->right), decision_r->rule,
			rules->min_right_setting != NULL ?
			rules->min_right_setting : "min_right",
			acl_right_name(rules->min_right));
	} else {
		decision_r->granted = true;
	}
}

bool grant_needs_groups(struct arena *arena, const struct grant_rules *rules,
			const struct grant_person *person,
			const struct grant_target *target)
{
	struct grant_decision decision;
	struct grant_acl *acls;
	unsigned int i;

	if (rule_on(rules->member_attribute)) {
		if (dn_listed(person->dn, target))
			return false;
		if (target->member_count > 0)
			return true;
	}
	if (!rule_on(rules->acl_attribute))
		return false;
	acls = grant_acl_parse(arena, target);
	memset(&decision, 0, sizeof(decision));
	if (acl_person_layer(arena, rules, person, acls,
			     target->acl_value_count, &decision))
		return false;
	/* the group layer: only group names and values that do not parse
	   (which may name a group) depend on the groups */
	for (i = 0; i < target->acl_value_count; i++) {
		if (!acls[i].parsed ||
		    acls[i].acl.kind == ACL_IDENTIFIER_GROUP)
			return true;
	}
	return false;
}
