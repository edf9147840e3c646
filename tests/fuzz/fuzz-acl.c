/* fuzz-acl - libFuzzer target: any bytes as univentionMailACL values
   (NUL-separated) through the decision. Checks that nothing that does not
   parse can grant, and that a grant always reaches min_right. */
#include "grant-decide.h"
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const groups[] = { "support", "Domain Users" };
	const char *values[MAX_VALUES];
	struct grant_rules rules = { "uniqueMember", "univentionMailACL",
				     ACL_RIGHT_READ };
	struct grant_person person = {
		.dn = "uid=alice,cn=users,dc=example,dc=com",
		.name = "alice@example.com", .uid = "alice",
		.group_names = groups, .group_name_count = 2,
	};
	struct grant_target target = { .dn = "cn=t,dc=example,dc=com" };
	struct grant_decision decision;
	struct arena arena;
	char *copy = malloc(size + 1), *p, *end;
	unsigned int n = 0;

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
	arena_free(&arena);
	free(copy);
	return 0;
}
