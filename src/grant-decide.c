/* grant-decide - may this person open this functional account?

   Rules, in the order they are tried:
   1. member_attribute: the person's DN, or the DN of a group the person is
      in, is listed: full access (OX functional accounts).
   2. acl_attribute: as Dovecot's ACL plugin evaluates UCS shared folders,
      a value naming the person (mail address or uid) decides alone,
      weaker or stronger than the groups', and "none" is an explicit deny;
      otherwise the strongest value among the person's groups applies.
   The result must reach min_right. Values that do not parse are ignored
   and reported; nothing unknown ever grants. */

#include "grant-decide.h"
#include "arena.h"

#include <string.h>
#include <strings.h>

static bool str_in_list(const char *str, size_t len,
			const char *const *list, unsigned int count)
{
	unsigned int i;

	if (str == NULL)
		return false;
	for (i = 0; i < count; i++) {
		if (strlen(list[i]) == len && strncasecmp(list[i], str, len) == 0)
			return true;
	}
	return false;
}

static bool identifier_is(const char *id, size_t id_len, const char *name)
{
	return name != NULL && strlen(name) == id_len &&
		strncasecmp(id, name, id_len) == 0;
}

static bool grant_by_membership(struct arena *arena,
				const struct grant_rules *rules,
				const struct grant_person *person,
				const struct grant_target *target,
				struct grant_decision *decision)
{
	unsigned int i;

	if (rules->member_attribute == NULL || rules->member_attribute[0] == '\0')
		return false;
	if (str_in_list(person->dn, strlen(person->dn),
			target->members, target->member_count)) {
		decision->rule = arena_printf(arena, "%s (person)",
					      rules->member_attribute);
		return true;
	}
	for (i = 0; i < person->group_dn_count; i++) {
		if (str_in_list(person->group_dns[i],
				strlen(person->group_dns[i]),
				target->members, target->member_count)) {
			decision->rule = arena_printf(arena,
				"%s via group \"%s\"", rules->member_attribute,
				person->group_dns[i]);
			return true;
		}
	}
	return false;
}

/* grant_by_acl - effective ACL right; rule and right set when one matched */
static void grant_by_acl(struct arena *arena, const struct grant_rules *rules,
			 const struct grant_person *person,
			 const struct grant_target *target,
			 struct grant_decision *decision)
{
	enum acl_right user_right = ACL_RIGHT_UNSET, group_right = ACL_RIGHT_UNSET;
	const char *user_value = NULL, *group_value = NULL, *id, *error;
	const char **ignored;
	enum acl_right right;
	size_t id_len;
	unsigned int i;

	if (rules->acl_attribute == NULL || rules->acl_attribute[0] == '\0')
		return;
	ignored = arena_alloc(arena, sizeof(*ignored) *
			      (target->acl_value_count + 1));
	for (i = 0; i < target->acl_value_count; i++) {
		const char *value = target->acl_values[i];

		if (acl_value_parse(value, &id, &id_len, &right, &error) < 0) {
			ignored[decision->ignored_value_count++] =
				arena_printf(arena, "\"%s\": %s", value, error);
			continue;
		}
		if (identifier_is(id, id_len, person->name) ||
		    identifier_is(id, id_len, person->uid)) {
			/* several values for the same person: the
			   strongest, as Dovecot merges a user's entries */
			if (right > user_right) {
				user_right = right;
				user_value = value;
			}
		} else if (str_in_list(id, id_len, person->group_names,
				       person->group_name_count)) {
			if (right > group_right) {
				group_right = right;
				group_value = value;
			}
		}
	}
	decision->ignored_values = ignored;
	if (user_value != NULL) {
		decision->right = user_right;
		decision->rule = arena_printf(arena, "%s user \"%.*s\" %s",
			rules->acl_attribute,
			(int)(strrchr(user_value, ' ') - user_value),
			user_value, acl_right_name(user_right));
	} else if (group_value != NULL) {
		decision->right = group_right;
		decision->rule = arena_printf(arena, "%s group \"%.*s\" %s",
			rules->acl_attribute,
			(int)(strrchr(group_value, ' ') - group_value),
			group_value, acl_right_name(group_right));
	}
}

void grant_decide(struct arena *arena, const struct grant_rules *rules,
		  const struct grant_person *person,
		  const struct grant_target *target,
		  struct grant_decision *decision_r)
{
	memset(decision_r, 0, sizeof(*decision_r));
	decision_r->right = ACL_RIGHT_UNSET;

	if (person->dn == NULL || target->dn == NULL) {
		decision_r->reason = "person or target unknown";
		return;
	}
	if (grant_by_membership(arena, rules, person, target, decision_r)) {
		decision_r->right = ACL_RIGHT_ALL;
	} else {
		grant_by_acl(arena, rules, person, target, decision_r);
	}

	if (decision_r->right == ACL_RIGHT_UNSET) {
		decision_r->reason = "no rule names the person or one of "
			"their groups";
	} else if (decision_r->right == ACL_RIGHT_NONE) {
		decision_r->reason = arena_printf(arena, "denied by %s",
						  decision_r->rule);
	} else if (decision_r->right < rules->min_right) {
		decision_r->reason = arena_printf(arena,
			"right %s (%s) is below min_right %s",
			acl_right_name(decision_r->right), decision_r->rule,
			acl_right_name(rules->min_right));
	} else {
		decision_r->granted = true;
	}
}
