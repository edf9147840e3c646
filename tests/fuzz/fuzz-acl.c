/* fuzz-acl - libFuzzer target: any bytes as univentionMailACL values
   (NUL-separated) through the decision. Checks that a grant always
   reaches min_right and names its rule, that a refusal says why, , that
   an incomplete decision never grants, and that every value reported as
   ignored is there to be logged. */
#include "grant-decide.h"
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES 32

static const char *const support_names[] = { "support" };
static const char *const domain_users_names[] = { "domain users" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct grant_group groups[] = {
		{ "cn=support,cn=groups,dc=example,dc=com", support_names, 1 },
		{ "cn=domain users,cn=groups,dc=example,dc=com",
		  domain_users_names, 1 },
		/* a group whose name the directory withheld */
		{ "cn=hidden,cn=groups,dc=example,dc=com", NULL, 0 },
	};
	const char *values[MAX_VALUES];
	struct grant_rules rules = { "uniqueMember", "univentionMailACL",
				     ACL_RIGHT_READ };
	struct grant_person person = {
		.dn = "uid=alice,cn=users,dc=example,dc=com",
		.address = "alice@example.com",
		.groups = groups, .group_count = 3,
	};
	struct grant_target target = { .dn = "cn=t,dc=example,dc=com" };
	struct grant_decision decision;
	struct arena arena;
	char *copy = malloc(size + 1), *p, *end;
	unsigned int i, n = 0;

	memcpy(copy, data, size);
	copy[size] = '\0';
	for (p = copy, end = copy + size; p <= end && n < MAX_VALUES;
	     p += strlen(p) + 1)
		values[n++] = p;
	target.acl_values = values;
	target.acl_value_count = n;
	arena_init(&arena, 256);
	grant_decide(&arena, &rules, &person, &target, &decision);
	if (decision.granted &&
	    (decision.right < rules.min_right || decision.rule == NULL))
		abort();
	if (!decision.granted && decision.reason == NULL)
		abort();
	if (decision.incomplete && decision.granted)
		abort();
	/* the caller logs each of them */
	for (i = 0; i < decision.ignored_value_count; i++) {
		if (decision.ignored_values == NULL ||
		    decision.ignored_values[i] == NULL)
			abort();
	}
	arena_free(&arena);
	free(copy);
	return 0;
}
